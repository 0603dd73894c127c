"""The views' tables, shared by the writer (projection) and the light read side (queries).

Times are integer seconds since the epoch (UTC). `participants.how` is 'out' (outbound
mail), 'in' (inbound mail) or 'meet' (meeting); `contact` is 1 where the rules count
the interaction as being in touch with that address. `stats.automated_reason` is the
automated-sender rule an address fires ('' if none, or if self ever wrote to it; NULL
until `settle` has classified it): such an address is no one to keep in touch with.
`stats.worth`, `stats.half_life` and `stats.head` are what a relationship's figures
make of it until they change (its strength when last in touch, the days of silence
that halve it, the start of its JSON object): on SQLite `settle` works them out where
they are NULL, and a trigger (`STANDING_TRIGGER`) makes them NULL when the figures
change; PostgreSQL leaves them NULL (its answers are worked out in Python).
"""

from kithkeep.domain.strength import WEIGHTS

#: The views' shape, and the contact weights their running sums were counted with.
#: 12: cadences learned from two contact days; 13: the automated-sender rules stored in
#: `stats.automated_reason` grew; 14: `outbound_cc`; 15: `stats.worth`, `half_life` and
#: `head`, kept for `due --json`. Each rebuilds the views.
VIEWS_VERSION = f"15|{WEIGHTS.fingerprint()}"

#: The event store's application name; the views track their position under it.
APPLICATION_NAME = "kithkeep"

#: ISO-8601 text of an epoch-seconds column, computed by SQLite (in C, once, on write).
ISO = "strftime('%Y-%m-%dT%H:%M:%S+00:00', {}, 'unixepoch')"
ISO_COLUMNS = ("first", "last", "last_out", "last_in", "last_meeting")

#: Secondary indexes by name (a bulk backlog may drop these and build them again).
INDEXES = {
    "interactions_thread": "CREATE INDEX IF NOT EXISTS interactions_thread "
    "ON interactions (thread, at)",
    "team_contacts_iid": "CREATE INDEX IF NOT EXISTS team_contacts_iid ON team_contacts (iid)",
}


def head_members(s: str = "") -> str:
    """The first members of a person's JSON object (as `Answer.json` has them), up to
    and with `interactions`, for `json_object`, from the columns of stats (`s`: their
    table's name and a dot)."""
    return (
        f"'name', nullif({s}name, ''), 'addresses', json_array({s}address), "
        f"'first_contact', {s}first_iso, 'last_contact', {s}last_iso, "
        f"'last_outbound', {s}last_out_iso, 'last_inbound', {s}last_in_iso, "
        f"'last_meeting', {s}last_meeting_iso, 'interactions', {s}n"
    )


def head_sql(s: str = "") -> str:
    """The start of a person's JSON object: `head_members`' object with its closing
    brace cut (its last member is a number)."""
    return f"rtrim(json_object({head_members(s)}), '}}')"


#: What makes `stats.worth` (and `half_life`, `head`) NULL again: a change of what they
#: are made from, whichever statement makes it. SQLite's views only.
STANDING_TRIGGER = """CREATE TRIGGER IF NOT EXISTS stats_standing
    AFTER UPDATE OF first, last, last_out, last_in, last_meeting, n, w_out, w_in, w_meet,
        replies, learned, name ON stats
    WHEN new.worth IS NOT NULL
    BEGIN UPDATE stats SET worth = NULL WHERE rowid = new.rowid; END"""

TABLES = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS interactions (
        iid INTEGER PRIMARY KEY,
        id TEXT NOT NULL,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        direction TEXT NOT NULL,
        sender TEXT NOT NULL,
        subject TEXT NOT NULL,
        thread TEXT NOT NULL,
        audience INTEGER NOT NULL,
        noise TEXT NOT NULL,
        replied TEXT NOT NULL DEFAULT ''
    )""",
    """CREATE TABLE IF NOT EXISTS participants (
        address TEXT NOT NULL,
        at INTEGER NOT NULL,
        iid INTEGER NOT NULL,
        how TEXT NOT NULL,
        contact INTEGER NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (address, at, iid)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS stats (
        address TEXT PRIMARY KEY,
        first INTEGER,
        last INTEGER,
        last_out INTEGER,
        last_in INTEGER,
        last_meeting INTEGER,
        n INTEGER NOT NULL DEFAULT 0,
        w_out INTEGER NOT NULL DEFAULT 0,
        w_in INTEGER NOT NULL DEFAULT 0,
        w_meet INTEGER NOT NULL DEFAULT 0,
        replies INTEGER NOT NULL DEFAULT 0,
        learned INTEGER,
        dirty INTEGER NOT NULL DEFAULT 0,
        name TEXT NOT NULL DEFAULT '',
        automated_reason TEXT,
        worth REAL,
        half_life REAL,
        head TEXT,
        first_iso TEXT GENERATED ALWAYS AS ({iso_first}) STORED,
        last_iso TEXT GENERATED ALWAYS AS ({iso_last}) STORED,
        last_out_iso TEXT GENERATED ALWAYS AS ({iso_last_out}) STORED,
        last_in_iso TEXT GENERATED ALWAYS AS ({iso_last_in}) STORED,
        last_meeting_iso TEXT GENERATED ALWAYS AS ({iso_last_meeting}) STORED
    )""".format(**{f"iso_{c}": ISO.format(c) for c in ISO_COLUMNS}),
    "CREATE INDEX IF NOT EXISTS stats_dirty ON stats (dirty) WHERE dirty = 1",
    """CREATE TABLE IF NOT EXISTS future (
        address TEXT NOT NULL,
        at INTEGER NOT NULL,
        iid INTEGER NOT NULL,
        how TEXT NOT NULL,
        PRIMARY KEY (address, at, iid)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS future_at ON future (at)",
    """CREATE TABLE IF NOT EXISTS names (
        address TEXT NOT NULL,
        name TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (address, name)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS intros (
        iid INTEGER PRIMARY KEY,
        id TEXT NOT NULL,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        introducer TEXT NOT NULL,
        parties TEXT NOT NULL,
        cues TEXT NOT NULL,
        thread TEXT NOT NULL,
        subject TEXT NOT NULL,
        message_id TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS referral_marks (
        id TEXT NOT NULL,
        kind TEXT NOT NULL,
        at INTEGER NOT NULL,
        a TEXT NOT NULL DEFAULT '',
        b TEXT NOT NULL DEFAULT '',
        note TEXT NOT NULL DEFAULT ''
    )""",
    INDEXES["interactions_thread"],
    # A team: which member was on an interaction with whom (no subjects here).
    """CREATE TABLE IF NOT EXISTS team_contacts (
        member TEXT NOT NULL,
        address TEXT NOT NULL,
        at INTEGER NOT NULL,
        iid INTEGER NOT NULL,
        how TEXT NOT NULL,
        contact INTEGER NOT NULL,
        PRIMARY KEY (address, member, at, iid)
    ) WITHOUT ROWID""",
    INDEXES["team_contacts_iid"],
    # What says an address is self's own: messages from it in a Sent folder ('sent'),
    # and the names self's own mail goes by ('name:Drew Fossum'), for `me suggest`.
    """CREATE TABLE IF NOT EXISTS self_evidence (
        address TEXT NOT NULL,
        evidence TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (address, evidence)
    ) WITHOUT ROWID""",
    # Whom self's own mail only copied (role 'cc' or 'bcc'), for the timeline's "→ cc".
    """CREATE TABLE IF NOT EXISTS outbound_cc (
        iid INTEGER NOT NULL,
        address TEXT NOT NULL,
        role TEXT NOT NULL,
        PRIMARY KEY (iid, address)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS directives (
        kind TEXT NOT NULL,
        a TEXT NOT NULL,
        b TEXT NOT NULL DEFAULT '',
        value INTEGER,
        PRIMARY KEY (kind, a, b)
    )""",
    # Contact cards (identities, never contacts); `mine` is 1 on a card of self's.
    """CREATE TABLE IF NOT EXISTS cards (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        organization TEXT NOT NULL,
        title TEXT NOT NULL,
        birthday TEXT NOT NULL,
        anniversary TEXT NOT NULL,
        source TEXT NOT NULL,
        mine INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS card_addresses (
        address TEXT NOT NULL,
        card TEXT NOT NULL,
        position INTEGER NOT NULL,
        PRIMARY KEY (address, card)
    )""",
)

VIEW_TABLES = (
    "interactions",
    "participants",
    "stats",
    "future",
    "names",
    "directives",
    "intros",
    "referral_marks",
    "team_contacts",
    "cards",
    "card_addresses",
    "self_evidence",
    "outbound_cc",
)
