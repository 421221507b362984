extension Migration {
    /// Issue 10 item 4: the mark log in a compact form, partitioned by academic year.
    ///
    /// Measured on 400,000 marks with UUID event ids (`frontdoor bench attendance` prints the
    /// figure for what the worker writes): 416 bytes a mark before (157 in the table, 258 in its
    /// three indexes), about 170 after (84 and 83, one index).
    ///
    /// - `mark_log` holds one row per mark event: the UPN as an `int8` (``UPNKey``, also in SQL as
    ///   `frontdoor_upn_key` / `frontdoor_upn_text`), the LAESTAB as `int4`, session and category
    ///   as one-byte `"char"`s, minutes late as `int2`, the source as an `int4` into
    ///   `mark_sources`, and the event id as a `uuid` when it is one in canonical (lower-case)
    ///   form, else as text (`event_text`). `received_at` is gone: nothing read it.
    /// - One index: "the mark that counts" per slot (pupil, school, day, session; latest time,
    ///   then the larger id), unique over the whole event, so a mark stored twice is refused
    ///   (`insertMarks` skips it). The date index went: with one partition per academic year a
    ///   year's report and the purge by date find their rows by partition. The primary key on
    ///   `(source, event_id)` went with it: `processed_events` claims each event's identity
    ///   before the handler runs (architecture.md, "Idempotent by event identity").
    /// - Partitions `mark_log_<year>` cover academic years 2015/16 to 2040/41 (1 September to
    ///   31 August); `mark_log_other` (the default partition) takes any other date, so no mark is
    ///   ever refused for its date. A purge deletes whole years; docs/operations.md says how to
    ///   add or drop partitions.
    /// - `attendance_marks` and `marks_that_count` stay, as views with the old columns and
    ///   types, for people and tools that query them; `attendance_marks` accepts inserts (a
    ///   trigger) and deletes. The store's own queries read `mark_log` by its keys.
    ///
    /// The conversion copies every stored mark (minutes on a county's year; run it with the
    /// attendance workers stopped or quiet, as migration 4).
    static let markLogStorage = Migration(
        version: 9,
        name: "mark-log-storage",
        statements: [
            """
            CREATE FUNCTION frontdoor_upn_key(u text) RETURNS int8 LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
                SELECT CASE WHEN u ~ '^[A-Z][0-9]{11}[0-9A-Z]$' THEN
                    (substr(u, 2, 11)::int8 * 36 + position(substr(u, 13, 1) IN '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ') - 1) * 26
                        + ascii(u) - 65
                END
            $$
            """,
            """
            CREATE FUNCTION frontdoor_upn_text(k int8) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
                SELECT chr(65 + (k % 26)::int4) || lpad((k / 936)::text, 11, '0')
                    || substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ', ((k / 26) % 36)::int4 + 1, 1)
            $$
            """,
            """
            CREATE FUNCTION frontdoor_mark_category(c "char") RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
                SELECT CASE c WHEN 'p' THEN 'present' WHEN 'a' THEN 'attending' WHEN 'A' THEN 'authorised'
                    WHEN 'u' THEN 'unauthorised' WHEN 'n' THEN 'not-counted' END
            $$
            """,
            """
            CREATE FUNCTION frontdoor_mark_category_key(c text) RETURNS "char" LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
                SELECT CASE c WHEN 'present' THEN 'p' WHEN 'attending' THEN 'a' WHEN 'authorised' THEN 'A'
                    WHEN 'unauthorised' THEN 'u' WHEN 'not-counted' THEN 'n' END::"char"
            $$
            """,
            """
            CREATE TABLE mark_sources (
                source_id int4 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                source text NOT NULL UNIQUE
            )
            """,
            """
            CREATE FUNCTION frontdoor_mark_source(id int4) RETURNS text LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
                SELECT source FROM mark_sources WHERE source_id = id
            $$
            """,
            "DROP VIEW marks_that_count",
            "ALTER TABLE attendance_marks RENAME TO attendance_marks_v8",
            // Columns ordered for alignment (8-, then 4-byte, then 1-byte and variable ones).
            """
            CREATE TABLE mark_log (
                upn int8 NOT NULL,
                laestab int4 NOT NULL,
                mark_date date NOT NULL,
                event_time timestamptz NOT NULL,
                source_id int4 NOT NULL,
                event_uuid uuid,
                session "char" NOT NULL CHECK (session IN ('A', 'P')),
                category "char" NOT NULL CHECK (category IN ('p', 'a', 'A', 'u', 'n')),
                minutes_late int2,
                code text NOT NULL,
                event_text text COLLATE "C",
                CHECK ((event_uuid IS NULL) <> (event_text IS NULL))
            ) PARTITION BY RANGE (mark_date)
            """,
            """
            CREATE UNIQUE INDEX mark_log_that_count_idx ON mark_log
                (upn, laestab, mark_date, session, event_time DESC, event_uuid DESC, event_text DESC, source_id DESC)
                INCLUDE (code, category) NULLS NOT DISTINCT
            """,
            """
            DO $$ BEGIN
                FOR y IN 2015..2040 LOOP
                    EXECUTE format('CREATE TABLE mark_log_%s PARTITION OF mark_log FOR VALUES FROM (%L) TO (%L)',
                        y, make_date(y, 9, 1), make_date(y + 1, 9, 1));
                END LOOP;
            END $$
            """,
            "CREATE TABLE mark_log_other PARTITION OF mark_log DEFAULT",
            "INSERT INTO mark_sources (source) SELECT DISTINCT source FROM attendance_marks_v8 ORDER BY 1",
            """
            INSERT INTO mark_log
                (upn, laestab, mark_date, event_time, source_id, event_uuid, session, category, minutes_late, code, event_text)
            SELECT frontdoor_upn_key(m.upn), m.laestab::int4, m.mark_date, m.event_time, s.source_id,
                CASE WHEN m.event_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN m.event_id::uuid END,
                left(m.session, 1)::"char", frontdoor_mark_category_key(m.category), m.minutes_late::int2, m.code,
                CASE WHEN m.event_id !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN m.event_id END
            FROM attendance_marks_v8 m JOIN mark_sources s ON s.source = m.source
            ORDER BY m.mark_date, m.event_time
            """,
            "DROP TABLE attendance_marks_v8",
            """
            CREATE VIEW attendance_marks AS
            SELECT frontdoor_mark_source(m.source_id) AS source,
                coalesce(m.event_uuid::text, m.event_text) COLLATE "C" AS event_id,
                frontdoor_upn_text(m.upn) AS upn, lpad(m.laestab::text, 7, '0') AS laestab, m.mark_date,
                CASE m.session WHEN 'A' THEN 'AM' ELSE 'PM' END AS session, m.code,
                frontdoor_mark_category(m.category) AS category, m.minutes_late::int4 AS minutes_late, m.event_time
            FROM mark_log m
            """,
            // Rows inserted into the view (by hand, by tests) are stored as the store stores them.
            """
            CREATE FUNCTION frontdoor_attendance_marks_insert() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO mark_sources (source) VALUES (NEW.source) ON CONFLICT (source) DO NOTHING;
                INSERT INTO mark_log
                    (upn, laestab, mark_date, event_time, source_id, event_uuid, session, category, minutes_late, code, event_text)
                SELECT frontdoor_upn_key(NEW.upn), NEW.laestab::int4, NEW.mark_date, NEW.event_time, s.source_id,
                    CASE WHEN NEW.event_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN NEW.event_id::uuid END,
                    left(NEW.session, 1)::"char", frontdoor_mark_category_key(NEW.category), NEW.minutes_late::int2, NEW.code,
                    CASE WHEN NEW.event_id !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN NEW.event_id END
                FROM mark_sources s WHERE s.source = NEW.source;
                RETURN NEW;
            END
            $$
            """,
            """
            CREATE TRIGGER attendance_marks_insert INSTEAD OF INSERT ON attendance_marks
                FOR EACH ROW EXECUTE FUNCTION frontdoor_attendance_marks_insert()
            """,
            """
            CREATE VIEW marks_that_count AS
            SELECT DISTINCT ON (upn, laestab, mark_date, session)
                upn, laestab, mark_date, session, code, category, minutes_late, event_time, source, event_id
            FROM attendance_marks
            ORDER BY upn, laestab, mark_date, session, event_time DESC, event_id DESC, source DESC
            """,
        ]
    )
}
