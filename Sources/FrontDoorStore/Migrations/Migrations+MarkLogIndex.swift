extension Migration {
    /// Issue 10 item 4: the mark log's one index becomes a non-unique B-tree on the UPN alone.
    ///
    /// Migration 9's `mark_log_that_count_idx` (the whole slot, time and event, `INCLUDE (code,
    /// category)`) was nearly a second copy of every row: 86 bytes a mark beside the table's 85,
    /// measured on 9 million marks (30,000 pupils, 150 school days, UUID ids, bulk-built). `(upn)`
    /// takes 7: B-tree deduplication (PostgreSQL 13+, on for a non-unique index) keeps one key
    /// per pupil and partition and about 6 bytes per further mark. Every query that reads the
    /// mark log by pupil (`marksThatCount`, `categoryTotals`, the subject access export, the
    /// purge's "no marks left" check) finds the pupil's rows through it and sorts the few
    /// hundred a year each has; the year report and the purge by date read whole partitions.
    /// `(upn, mark_date)` measured 25 bytes a mark (a key per pupil and day) for no faster
    /// reads.
    ///
    /// Nothing refuses a second row of one event any more: `processed_events` claims each
    /// event's `(source, id)` before the handler runs (architecture.md, "Idempotent by event
    /// identity"), and once a claim has been purged (`processed_events_days`) a re-sent mark is
    /// stored again beside the first; the rules take the latest mark per slot, so an identical
    /// one changes no figure (docs/operations.md, "Storage and throughput"). Should a sender
    /// re-use an id at the same instant with different contents, the larger code, then minutes
    /// late, counts (as `AttendanceRules.supersedes`), in the store's reads and in the
    /// `marks_that_count` view alike, whichever row came first.
    ///
    /// The claims get the same treatment (they weighed more than the marks: 264 bytes a claim as
    /// the worker writes them). `event_claims` holds one row per claimed event: the source as an
    /// `int4` into `mark_sources` (one id per CloudEvents source, whatever the event), the topic
    /// as an `int4` into `event_topics`, the id as a `uuid` when it is one in canonical
    /// (lower-case) form, else as text, under one unique index on `(source_id, event_uuid,
    /// event_text)`: 140 bytes a claim (77 in the table, 64 in the index) against 246 bulk and
    /// 264 as the worker wrote them, measured on a million UUID claims.
    /// `processed_events` stays as a view with the old columns (it takes inserts and deletes).
    ///
    /// Rebuilding locks the mark log against writes for the build (about 10 s per 9 million
    /// marks on two cores) and the conversion copies every claim: run it with the workers
    /// stopped or quiet, as migration 9.
    static let markLogIndex = Migration(
        version: 13,
        name: "mark-log-index",
        statements: [
            "DROP INDEX mark_log_that_count_idx",
            "CREATE INDEX mark_log_upn_idx ON mark_log (upn) WITH (deduplicate_items = on)",
            """
            CREATE OR REPLACE VIEW marks_that_count AS
            SELECT DISTINCT ON (upn, laestab, mark_date, session)
                upn, laestab, mark_date, session, code, category, minutes_late, event_time, source, event_id
            FROM attendance_marks
            ORDER BY upn, laestab, mark_date, session, event_time DESC, event_id DESC, source DESC,
                code COLLATE "C" DESC, minutes_late DESC NULLS LAST
            """,
            // An event id as the claims (and the mark log) keep it: a UUID in canonical form, else text.
            """
            CREATE FUNCTION frontdoor_event_uuid(i text) RETURNS uuid LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
                SELECT CASE WHEN i ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN i::uuid END
            $$
            """,
            """
            CREATE FUNCTION frontdoor_event_text(i text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
                SELECT CASE WHEN i !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN i END
            $$
            """,
            """
            CREATE TABLE event_topics (
                topic_id int4 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                topic text NOT NULL UNIQUE
            )
            """,
            """
            CREATE FUNCTION frontdoor_event_topic(id int4) RETURNS text LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
                SELECT topic FROM event_topics WHERE topic_id = id
            $$
            """,
            // Columns ordered for alignment; 7 columns, so the null bitmap fits the 24-byte header.
            """
            CREATE TABLE event_claims (
                processed_at timestamptz NOT NULL DEFAULT now(),
                "offset" int8 NOT NULL,
                source_id int4 NOT NULL,
                partition int4 NOT NULL,
                topic_id int4 NOT NULL,
                event_uuid uuid,
                event_text text COLLATE "C",
                CHECK ((event_uuid IS NULL) <> (event_text IS NULL))
            )
            """,
            "CREATE UNIQUE INDEX event_claims_key ON event_claims (source_id, event_uuid, event_text) NULLS NOT DISTINCT",
            "INSERT INTO mark_sources (source) SELECT DISTINCT source FROM processed_events ORDER BY 1 ON CONFLICT (source) DO NOTHING",
            "INSERT INTO event_topics (topic) SELECT DISTINCT topic FROM processed_events ORDER BY 1",
            """
            INSERT INTO event_claims (processed_at, "offset", source_id, partition, topic_id, event_uuid, event_text)
            SELECT p.processed_at, p."offset", s.source_id, p.partition, t.topic_id, frontdoor_event_uuid(p.event_id),
                frontdoor_event_text(p.event_id)
            FROM processed_events p JOIN mark_sources s ON s.source = p.source JOIN event_topics t ON t.topic = p.topic
            ORDER BY p.processed_at
            """,
            "DROP TABLE processed_events",
            """
            CREATE VIEW processed_events AS
            SELECT frontdoor_mark_source(c.source_id) AS source, coalesce(c.event_uuid::text, c.event_text) COLLATE "C" AS event_id,
                frontdoor_event_topic(c.topic_id) AS topic, c.partition, c."offset", c.processed_at
            FROM event_claims c
            """,
            // Rows inserted into the view (by hand, by tests) are stored as the store stores them.
            """
            CREATE FUNCTION frontdoor_processed_events_insert() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO mark_sources (source) VALUES (NEW.source) ON CONFLICT (source) DO NOTHING;
                INSERT INTO event_topics (topic) VALUES (NEW.topic) ON CONFLICT (topic) DO NOTHING;
                INSERT INTO event_claims (processed_at, "offset", source_id, partition, topic_id, event_uuid, event_text)
                SELECT coalesce(NEW.processed_at, now()), NEW."offset", s.source_id, NEW.partition, t.topic_id,
                    frontdoor_event_uuid(NEW.event_id), frontdoor_event_text(NEW.event_id)
                FROM mark_sources s, event_topics t WHERE s.source = NEW.source AND t.topic = NEW.topic;
                RETURN NEW;
            END
            $$
            """,
            """
            CREATE TRIGGER processed_events_insert INSTEAD OF INSERT ON processed_events
                FOR EACH ROW EXECUTE FUNCTION frontdoor_processed_events_insert()
            """,
        ]
    )
}
