"""Configuration: the one place that reads the environment and the config file.

`settings` (light: stdlib and the domain only, so queries start fast) and `schema`
(the validated model, pydantic-settings); `editing` changes `[[accounts]]` in place;
`secrets` keeps passwords and tokens (the OS keyring, else a 0600 file);
`daemon_files` is the daemon's pid and state, readable without the daemon.
Imports only the domain.
"""
