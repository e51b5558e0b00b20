-- Resources that make versions by themselves: when each is next checked (time ticks, git polls), where
-- its last check got to, and the hash of each webhook resource's token.

CREATE TABLE resource_checks (
    resource_id BIGINT PRIMARY KEY REFERENCES resources (id),
    pipeline_id BIGINT NOT NULL REFERENCES pipelines (id),
    source_digest TEXT NOT NULL,
    next_at {real} NOT NULL,
    cursor TEXT NOT NULL DEFAULT '',
    checked_at {real},
    error TEXT
);
CREATE INDEX resource_checks_due ON resource_checks (next_at);

ALTER TABLE resources ADD COLUMN webhook_token TEXT;
