-- PostgreSQL roles for the audit trail (docs/operations.md, "Audit trail").
-- Run as the database owner after `bulwark migrate`. Replace the passwords.
--
-- bulwark_app: the role the API servers use (DATABASE_URL). It may read and append to the trail, never
-- change or remove an entry (the append-only trigger refuses that too, for every role).
-- bulwark_retention: the role `bulwark trail archive` runs as, once a month or so. It may also delete, and
-- the trigger still lets it remove only archived entries over a year old.

create role bulwark_app login password 'change-me';
grant usage on schema public to bulwark_app;
grant select, insert, update, delete on all tables in schema public to bulwark_app;
revoke update, delete, truncate on trail_entries, trail_checkpoints, trail_archives, vault_trail_keys from bulwark_app;
grant select, insert on trail_entries, trail_checkpoints, vault_trail_keys to bulwark_app;
grant select on trail_archives to bulwark_app;
-- Tables that later migrations add get the application's rights explicitly (never by default privileges
-- that would also cover a new trail table).

create role bulwark_retention login password 'change-me-too';
grant usage on schema public to bulwark_retention;
grant select, insert on trail_entries, trail_checkpoints, trail_archives, vault_trail_keys to bulwark_retention;
grant delete on trail_entries to bulwark_retention;
