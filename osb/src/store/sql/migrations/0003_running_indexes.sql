-- The sweep for interrupted work reads only running operations (`op_state =
-- 'in progress'`), so its indexes hold only those. An index over every row gained an
-- entry at each change of `op_state`, finished operations included: on PostgreSQL a
-- settled provision or bind paid for an index insertion nobody would read, and the
-- indexes grew with every instance ever created instead of with the work running.

DROP INDEX osb_instances_running;
DROP INDEX osb_bindings_running;
CREATE INDEX osb_instances_running ON osb_instances (op_heartbeat_at)
    WHERE op_state = 'in progress';
CREATE INDEX osb_bindings_running ON osb_bindings (op_heartbeat_at)
    WHERE op_state = 'in progress';
