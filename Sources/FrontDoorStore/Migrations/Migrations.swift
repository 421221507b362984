extension Migration {
    /// frontdoor's schema, oldest first. ``Migrator`` applies the ones a database lacks.
    public static let all: [Migration] = [
        initialSchema, auditIds, lookupIndexes, reportIndexes, rejectedOnce, outboxRetries, penaltyNoticeWithdrawn,
        rollChanges, markLogStorage, enrolmentStates, gatewayClients, packedEnrolmentStates, markLogIndex,
        penaltyCheckpoints,
    ]

    /// The first schema: reference data, facts, cases, enforcement, rule state, outbox,
    /// consumer offsets, idempotency and audit.
    ///
    /// Choices worth knowing:
    /// - `event_id` columns use `COLLATE "C"` so "the larger id" (the tie-break between two
    ///   marks recorded at the same instant) is byte order whatever the database's locale.
    /// - Timestamps are `timestamptz` (microsecond precision); dates are `date`.
    /// - Personal data lives only in `pupils.date_of_birth` and `referrals` (`child`, `details`);
    ///   `audit_log.subject_ref` holds a pseudonymous reference, never a name.
    static let initialSchema = Migration(
        version: 1,
        name: "initial-schema",
        statements: [
            // Reference data ------------------------------------------------------------------
            """
            CREATE TABLE schools (
                laestab text PRIMARY KEY CHECK (laestab ~ '^[0-9]{7}$'),
                name text NOT NULL,
                phase text NOT NULL CHECK (phase IN ('primary', 'secondary', 'all-through', 'special', 'pru')),
                district text NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE pupils (
                upn text PRIMARY KEY CHECK (upn = upper(upn) AND length(upn) = 13),
                fsm boolean NOT NULL,
                sen char(1) NOT NULL CHECK (sen IN ('N', 'K', 'E')),
                cla boolean NOT NULL,
                year_group integer,
                date_of_birth date,
                characteristics_time timestamptz NOT NULL
            )
            """,
            // Attendance ----------------------------------------------------------------------
            """
            CREATE TABLE attendance_marks (
                source text NOT NULL,
                event_id text COLLATE "C" NOT NULL,
                upn text NOT NULL,
                laestab text NOT NULL,
                mark_date date NOT NULL,
                session text NOT NULL CHECK (session IN ('AM', 'PM')),
                code text NOT NULL,
                category text NOT NULL
                    CHECK (category IN ('present', 'attending', 'authorised', 'unauthorised', 'not-counted')),
                minutes_late integer,
                event_time timestamptz NOT NULL,
                received_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (source, event_id)
            )
            """,
            // Serves "the mark that counts" per slot: an index scan for one pupil yields rows in
            // exactly the DISTINCT ON order (slot, latest time, then larger id).
            """
            CREATE INDEX attendance_marks_that_count_idx ON attendance_marks
                (upn, laestab, mark_date, session, event_time DESC, event_id DESC, source DESC)
            """,
            // Reporting by date range across pupils.
            "CREATE INDEX attendance_marks_date_idx ON attendance_marks (mark_date)",
            """
            CREATE VIEW marks_that_count AS
            SELECT DISTINCT ON (upn, laestab, mark_date, session)
                upn, laestab, mark_date, session, code, category, minutes_late, event_time, source, event_id
            FROM attendance_marks
            ORDER BY upn, laestab, mark_date, session, event_time DESC, event_id DESC, source DESC
            """,
            """
            CREATE TABLE pupil_year_attendance (
                upn text NOT NULL,
                academic_year text NOT NULL CHECK (academic_year ~ '^[0-9]{4}/[0-9]{2}$'),
                possible integer NOT NULL DEFAULT 0,
                present integer NOT NULL DEFAULT 0,
                attending integer NOT NULL DEFAULT 0,
                authorised integer NOT NULL DEFAULT 0,
                unauthorised integer NOT NULL DEFAULT 0,
                not_counted integer NOT NULL DEFAULT 0,
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (upn, academic_year)
            )
            """,
            "CREATE INDEX pupil_year_attendance_year_idx ON pupil_year_attendance (academic_year)",
            // Exclusions ----------------------------------------------------------------------
            """
            CREATE TABLE exclusions (
                laestab text NOT NULL,
                exclusion_id text NOT NULL,
                upn text NOT NULL,
                category text NOT NULL CHECK (category IN ('suspension', 'permanent')),
                start_date date NOT NULL,
                sessions integer CHECK (sessions IS NULL OR sessions > 0),
                reason text NOT NULL,
                academic_year text NOT NULL CHECK (academic_year ~ '^[0-9]{4}/[0-9]{2}$'),
                event_time timestamptz NOT NULL,
                source text NOT NULL,
                event_id text NOT NULL,
                rescinded boolean NOT NULL DEFAULT false,
                rescinded_outcome text,
                rescinded_effective date,
                pupil_fsm boolean,
                pupil_sen char(1) CHECK (pupil_sen IS NULL OR pupil_sen IN ('N', 'K', 'E')),
                pupil_cla boolean,
                recorded_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (laestab, exclusion_id),
                CHECK (category = 'permanent' OR sessions IS NOT NULL)
            )
            """,
            "CREATE INDEX exclusions_pupil_year_idx ON exclusions (upn, academic_year)",
            "CREATE INDEX exclusions_year_idx ON exclusions (academic_year)",
            // Cases, referrals, officer tasks -------------------------------------------------
            """
            CREATE TABLE cases (
                case_id text PRIMARY KEY,
                kind text NOT NULL,
                reason text NOT NULL,
                upn text,
                child_key text,
                laestab text,
                district text NOT NULL,
                unit_id text NOT NULL,
                priority text NOT NULL CHECK (priority IN ('urgent', 'high', 'normal')),
                status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
                opened_on date NOT NULL,
                due_by date,
                overdue_notified boolean NOT NULL DEFAULT false,
                review_due_by date,
                closed_on date,
                outcome text,
                details jsonb NOT NULL DEFAULT '{}'::jsonb,
                created_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX cases_open_by_upn_idx ON cases (upn, reason) WHERE status = 'open' AND upn IS NOT NULL",
            """
            CREATE INDEX cases_open_by_child_key_idx ON cases (child_key, reason)
                WHERE status = 'open' AND child_key IS NOT NULL
            """,
            // The scheduler's "CME cases past their due date not yet notified".
            """
            CREATE INDEX cases_cme_overdue_idx ON cases (due_by)
                WHERE status = 'open' AND kind = 'cme' AND NOT overdue_notified
            """,
            "CREATE INDEX cases_opened_on_idx ON cases (kind, opened_on)",
            """
            CREATE TABLE referrals (
                referral_id text PRIMARY KEY,
                case_id text NOT NULL REFERENCES cases (case_id),
                reason text NOT NULL,
                upn text,
                laestab text,
                referrer_kind text NOT NULL,
                referrer_org text NOT NULL,
                child jsonb NOT NULL,
                child_key text NOT NULL,
                safeguarding boolean NOT NULL,
                last_seen_date date,
                details text,
                received_time timestamptz NOT NULL,
                received_on date NOT NULL,
                resolved_on date,
                outcome text,
                source text NOT NULL,
                event_id text NOT NULL,
                recorded_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX referrals_case_idx ON referrals (case_id)",
            "CREATE INDEX referrals_received_on_idx ON referrals (reason, received_on)",
            """
            CREATE TABLE officer_tasks (
                task_id text PRIMARY KEY,
                case_id text NOT NULL REFERENCES cases (case_id),
                role text NOT NULL CHECK (role IN ('school-liaison-officer', 'inclusion-and-attendance-adviser')),
                created_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX officer_tasks_case_idx ON officer_tasks (case_id)",
            // Enforcement ---------------------------------------------------------------------
            """
            CREATE TABLE enforcement_reviews (
                case_id text PRIMARY KEY REFERENCES cases (case_id),
                upn text NOT NULL,
                laestab text NOT NULL,
                ruleset text NOT NULL,
                basis text NOT NULL,
                attendance_pct numeric(5, 2) NOT NULL,
                unauthorised_sessions integer NOT NULL,
                window_start date NOT NULL,
                window_end date NOT NULL,
                prior_notices integer NOT NULL,
                recommended_action text NOT NULL,
                amount_pence integer,
                status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'decided')),
                created_at timestamptz NOT NULL,
                decided_at timestamptz
            )
            """,
            // kent-2016: one open review per pupil at a time, enforced here too.
            "CREATE UNIQUE INDEX enforcement_reviews_one_open_idx ON enforcement_reviews (upn) WHERE status = 'open'",
            "CREATE INDEX enforcement_reviews_upn_idx ON enforcement_reviews (upn, created_at)",
            """
            CREATE TABLE enforcement_decisions (
                source text NOT NULL,
                event_id text NOT NULL,
                case_id text NOT NULL REFERENCES enforcement_reviews (case_id),
                upn text NOT NULL,
                decision text NOT NULL CHECK (
                    decision IN ('notice-to-improve-issued', 'penalty-notice-issued', 'prosecution-started', 'no-action')
                ),
                decided_on date NOT NULL,
                officer_id text NOT NULL,
                parent_ref text NOT NULL,
                amount_pence integer,
                recorded_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (source, event_id)
            )
            """,
            "CREATE INDEX enforcement_decisions_upn_idx ON enforcement_decisions (upn, decision, decided_on)",
            // Rule state ----------------------------------------------------------------------
            """
            CREATE TABLE rule_state (
                scope text NOT NULL,
                key text NOT NULL,
                state jsonb NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (scope, key)
            )
            """,
            // Outbox, offsets, idempotency, rejects, audit -----------------------------------
            """
            CREATE TABLE outbox (
                notification_id text PRIMARY KEY,
                seq bigint GENERATED ALWAYS AS IDENTITY,
                topic text NOT NULL,
                message_key text NOT NULL,
                payload bytea NOT NULL,
                headers jsonb NOT NULL DEFAULT '{}'::jsonb,
                created_at timestamptz NOT NULL DEFAULT now(),
                sent_at timestamptz
            )
            """,
            // The relay reads unsent rows in insertion order (`seq`; `created_at` is the same for a whole
            // transaction).
            "CREATE INDEX outbox_unsent_idx ON outbox (seq) WHERE sent_at IS NULL",
            """
            CREATE TABLE consumer_offsets (
                group_id text NOT NULL,
                topic text NOT NULL,
                partition integer NOT NULL CHECK (partition >= 0),
                next_offset bigint NOT NULL CHECK (next_offset >= 0),
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (group_id, topic, partition)
            )
            """,
            """
            CREATE TABLE processed_events (
                source text NOT NULL,
                event_id text NOT NULL,
                topic text NOT NULL,
                partition integer NOT NULL,
                "offset" bigint NOT NULL,
                processed_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (source, event_id)
            )
            """,
            """
            CREATE TABLE rejected_events (
                id bigserial PRIMARY KEY,
                topic text NOT NULL,
                partition integer NOT NULL,
                "offset" bigint NOT NULL,
                error_code text NOT NULL,
                received_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX rejected_events_topic_idx ON rejected_events (topic, error_code)",
            """
            CREATE TABLE audit_log (
                id bigserial PRIMARY KEY,
                at timestamptz NOT NULL DEFAULT now(),
                rule text NOT NULL,
                subject_ref text NOT NULL,
                decision text NOT NULL,
                figures jsonb NOT NULL DEFAULT '{}'::jsonb,
                event_source text,
                event_id text
            )
            """,
            "CREATE INDEX audit_log_subject_idx ON audit_log (subject_ref, at)",
        ]
    )
}
