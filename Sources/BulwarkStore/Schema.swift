/// The schema, one text for both databases: the few differences (key columns, blobs,
/// booleans) are filled in per dialect.
enum Schema {
    enum Dialect {
        case sqlite
        case postgres
    }

    /// Every version in order, each with its statements in `dialect`: the one list both stores
    /// migrate by (a new version is added here alone).
    static func migrations(_ dialect: Dialect) -> [(version: String, statements: [String])] {
        let versions: [(String, (Dialect) -> [String])] = [
            ("v1", v1), ("v2", v2), ("v3", v3), ("v4", v4), ("v5", v5), ("v6", v6), ("v7", v7), ("v8", v8),
            ("v9", v9), ("v10", v10), ("v11", v11), ("v12", v12), ("v13", v13), ("v14", v14), ("v15", v15),
            ("v16", v16), ("v17", v17), ("v18", v18), ("v19", v19), ("v20", v20), ("v21", v21), ("v22", v22),
            ("v23", v23), ("v24", v24), ("v25", v25), ("v26", v26),
        ]
        return versions.map { (version: $0.0, statements: $0.1(dialect)) }
    }

    static func v1(_ dialect: Dialect) -> [String] {
        let id = dialect == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY"
        let blob = dialect == .sqlite ? "BLOB" : "BYTEA"
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        let real = dialect == .sqlite ? "REAL" : "DOUBLE PRECISION"
        let bool = dialect == .sqlite ? "INTEGER" : "BOOLEAN"
        return [
            """
            CREATE TABLE items (
                id \(id),
                platform TEXT NOT NULL,
                external_id TEXT NOT NULL,
                type TEXT,
                text TEXT NOT NULL,
                lang_hint TEXT,
                urls TEXT NOT NULL,
                author TEXT,
                container_id TEXT,
                container_title TEXT,
                container_reach \(int),
                posted_at \(int),
                received_at \(int) NOT NULL,
                decision TEXT NOT NULL,
                score \(real) NOT NULL,
                category TEXT,
                context TEXT,
                language TEXT NOT NULL,
                verdict TEXT NOT NULL,
                media_count \(int) NOT NULL DEFAULT 0,
                UNIQUE (platform, external_id)
            )
            """,
            "CREATE INDEX items_container ON items (container_id)",
            """
            CREATE TABLE media (
                id \(id),
                item_id \(int) NOT NULL REFERENCES items (id),
                bytes \(blob) NOT NULL,
                status TEXT NOT NULL,
                pdq TEXT,
                quality \(int),
                md5 TEXT,
                sha256 TEXT,
                error TEXT
            )
            """,
            """
            CREATE TABLE jobs (
                id \(id),
                kind TEXT NOT NULL,
                ref \(int) NOT NULL,
                status TEXT NOT NULL,
                attempts \(int) NOT NULL DEFAULT 0,
                run_after \(int) NOT NULL,
                lease_owner TEXT,
                lease_until \(int),
                last_error TEXT
            )
            """,
            "CREATE INDEX jobs_ready ON jobs (status, run_after)",
            """
            CREATE TABLE cases (
                id \(id),
                item_id \(int) NOT NULL UNIQUE REFERENCES items (id),
                source TEXT NOT NULL,
                status TEXT NOT NULL,
                base_priority \(real) NOT NULL,
                category TEXT,
                language TEXT,
                user_reports \(int) NOT NULL DEFAULT 0,
                trusted_reports \(int) NOT NULL DEFAULT 0,
                claimed_by TEXT,
                claim_until \(int),
                created_at \(int) NOT NULL,
                updated_at \(int) NOT NULL
            )
            """,
            "CREATE INDEX cases_queue ON cases (status, base_priority)",
            """
            CREATE TABLE reports (
                id \(id),
                item_id \(int) NOT NULL REFERENCES items (id),
                case_id \(int) REFERENCES cases (id),
                reporter TEXT NOT NULL,
                trusted \(bool) NOT NULL,
                reason TEXT NOT NULL,
                text TEXT,
                status TEXT NOT NULL,
                created_at \(int) NOT NULL,
                UNIQUE (item_id, reporter)
            )
            """,
            """
            CREATE TABLE decisions (
                id \(id),
                case_id \(int) NOT NULL REFERENCES cases (id),
                reviewer TEXT NOT NULL,
                action TEXT NOT NULL,
                category TEXT,
                exemption TEXT,
                note TEXT,
                created_at \(int) NOT NULL
            )
            """,
            """
            CREATE TABLE deliveries (
                id \(id),
                delivery_id TEXT NOT NULL UNIQUE,
                event TEXT NOT NULL,
                body TEXT NOT NULL,
                status TEXT NOT NULL,
                attempts \(int) NOT NULL DEFAULT 0,
                next_attempt_at \(int) NOT NULL,
                lease_owner TEXT,
                lease_until \(int),
                last_error TEXT,
                created_at \(int) NOT NULL,
                delivered_at \(int)
            )
            """,
            "CREATE INDEX deliveries_ready ON deliveries (status, next_attempt_at)",
            """
            CREATE TABLE api_keys (
                id \(id),
                name TEXT NOT NULL,
                role TEXT NOT NULL,
                prefix TEXT NOT NULL,
                hash TEXT NOT NULL UNIQUE,
                created_at \(int) NOT NULL,
                revoked_at \(int)
            )
            """,
            """
            CREATE TABLE audit_log (
                seq \(int) PRIMARY KEY,
                at \(int) NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                subject TEXT NOT NULL,
                detail TEXT NOT NULL,
                prev_hash TEXT NOT NULL,
                hash TEXT NOT NULL
            )
            """,
            "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ]
    }

    /// Accounts and containers as records (`entities`), linked from items; cases that name an
    /// entity instead of an item. SQLite cannot drop a NOT NULL, so there `cases` is rebuilt
    /// (its rows, ids and indexes kept).
    static func v2(_ dialect: Dialect) -> [String] {
        let id = dialect == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY"
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        let real = dialect == .sqlite ? "REAL" : "DOUBLE PRECISION"
        let bool = dialect == .sqlite ? "INTEGER" : "BOOLEAN"
        var statements = [
            """
            CREATE TABLE entities (
                id \(id),
                platform TEXT NOT NULL,
                kind TEXT NOT NULL,
                is_account \(bool) NOT NULL,
                external_id TEXT NOT NULL,
                name TEXT,
                description TEXT,
                avatar_pdq TEXT,
                status TEXT NOT NULL,
                status_at \(int) NOT NULL,
                signals TEXT NOT NULL,
                risk \(real) NOT NULL,
                reviewed_risk \(real) NOT NULL DEFAULT 0,
                item_count \(int) NOT NULL DEFAULT 0,
                reappearance_of \(int) REFERENCES entities (id),
                reappearance_similarity \(real) NOT NULL DEFAULT 0,
                reappearance_evidence TEXT,
                first_seen \(int) NOT NULL,
                last_seen \(int) NOT NULL,
                updated_at \(int) NOT NULL,
                UNIQUE (platform, is_account, external_id)
            )
            """,
            "CREATE INDEX entities_risk ON entities (risk)",
            "CREATE INDEX entities_status_at ON entities (status_at)",
            "ALTER TABLE items ADD COLUMN author_entity_id \(int) REFERENCES entities (id)",
            "ALTER TABLE items ADD COLUMN container_entity_id \(int) REFERENCES entities (id)",
            "CREATE INDEX items_author_entity ON items (author_entity_id)",
            "CREATE INDEX items_container_entity ON items (container_entity_id)",
            // Set when a bank match of the part has been counted (live or by a retro-hunt).
            "ALTER TABLE media ADD COLUMN matched_at \(int)",
            "CREATE INDEX media_pdq ON media (id) WHERE pdq IS NOT NULL",
        ]
        switch dialect {
        case .postgres:
            statements += [
                "ALTER TABLE cases ALTER COLUMN item_id DROP NOT NULL",
                "ALTER TABLE cases ADD COLUMN entity_id BIGINT REFERENCES entities (id)",
                "ALTER TABLE cases ADD CONSTRAINT cases_subject CHECK ((item_id IS NULL) <> (entity_id IS NULL))",
            ]
        case .sqlite:
            statements += [
                """
                CREATE TABLE cases_v2 (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    item_id INTEGER UNIQUE REFERENCES items (id),
                    entity_id INTEGER REFERENCES entities (id),
                    source TEXT NOT NULL,
                    status TEXT NOT NULL,
                    base_priority REAL NOT NULL,
                    category TEXT,
                    language TEXT,
                    user_reports INTEGER NOT NULL DEFAULT 0,
                    trusted_reports INTEGER NOT NULL DEFAULT 0,
                    claimed_by TEXT,
                    claim_until INTEGER,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    CHECK ((item_id IS NULL) <> (entity_id IS NULL))
                )
                """,
                """
                INSERT INTO cases_v2 (id, item_id, source, status, base_priority, category, language, user_reports,
                    trusted_reports, claimed_by, claim_until, created_at, updated_at)
                SELECT id, item_id, source, status, base_priority, category, language, user_reports, trusted_reports,
                    claimed_by, claim_until, created_at, updated_at
                FROM cases
                """,
                "DROP TABLE cases",
                "ALTER TABLE cases_v2 RENAME TO cases",
                "CREATE INDEX cases_queue ON cases (status, base_priority)",
            ]
        }
        // At most one open (or claimed, or escalated) case per entity.
        statements.append(
            "CREATE UNIQUE INDEX cases_open_entity ON cases (entity_id) WHERE entity_id IS NOT NULL AND status <> 'decided'")
        return statements
    }

    /// Version 3: due process. Removal orders (TCO Article 3): the ordered items, what became of
    /// each (the decision and webhook it got, or why it could not be executed) and the order's
    /// clock; appeals (TCO Article 10, DSA Article 20) with their two-week clock; preservation of
    /// removed content (TCO Article 6) with its six-month clock.
    static func v3(_ dialect: Dialect) -> [String] {
        let id = dialect == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY"
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        return [
            """
            CREATE TABLE removal_orders (
                id \(id),
                authority TEXT NOT NULL,
                reference TEXT NOT NULL,
                received_by TEXT NOT NULL,
                legal_basis TEXT NOT NULL,
                reasons TEXT NOT NULL,
                category TEXT,
                issued_at \(int),
                received_at \(int) NOT NULL,
                deadline_at \(int) NOT NULL,
                actioned_at \(int),
                targets TEXT NOT NULL,
                outcome TEXT NOT NULL,
                UNIQUE (authority, reference)
            )
            """,
            "CREATE INDEX removal_orders_received ON removal_orders (received_at)",
            "ALTER TABLE decisions ADD COLUMN removal_order_id \(int)",
            """
            CREATE TABLE appeals (
                id \(id),
                decision_id \(int) NOT NULL REFERENCES decisions (id),
                case_id \(int) NOT NULL REFERENCES cases (id),
                item_id \(int),
                appellant TEXT NOT NULL,
                reason TEXT NOT NULL,
                status TEXT NOT NULL,
                filed_at \(int) NOT NULL,
                deadline_at \(int) NOT NULL,
                decided_by TEXT,
                decided_at \(int),
                exemption TEXT,
                note TEXT,
                reinstatement_decision_id \(int)
            )
            """,
            // One appeal per decision.
            "CREATE UNIQUE INDEX appeals_decision ON appeals (decision_id)",
            "CREATE INDEX appeals_status ON appeals (status, deadline_at)",
            // Removed content kept for review proceedings and complaints (TCO Article 6).
            """
            CREATE TABLE preservations (
                item_id \(int) PRIMARY KEY REFERENCES items (id),
                decision_id \(int) NOT NULL,
                preserved_at \(int) NOT NULL,
                expires_at \(int) NOT NULL,
                extensions \(int) NOT NULL DEFAULT 0,
                purged_at \(int)
            )
            """,
            "CREATE INDEX preservations_expiry ON preservations (purged_at, expires_at)",
        ]
    }

    /// Version 4: people who sign in to the console. A password is kept only as its scrypt hash
    /// (parameters and salt included); failed sign-ins count towards a lock-out. A session is
    /// kept as the SHA-256 of its random token, with its expiry and its CSRF token.
    static func v4(_ dialect: Dialect) -> [String] {
        let id = dialect == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY"
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        return [
            """
            CREATE TABLE users (
                id \(id),
                name TEXT NOT NULL UNIQUE,
                role TEXT NOT NULL,
                password_hash TEXT NOT NULL,
                failed_attempts \(int) NOT NULL DEFAULT 0,
                locked_until \(int),
                created_at \(int) NOT NULL,
                disabled_at \(int)
            )
            """,
            """
            CREATE TABLE sessions (
                token_hash TEXT PRIMARY KEY,
                user_id \(int) NOT NULL REFERENCES users (id),
                csrf_token TEXT NOT NULL,
                created_at \(int) NOT NULL,
                expires_at \(int) NOT NULL
            )
            """,
            "CREATE INDEX sessions_user ON sessions (user_id)",
        ]
    }

    /// Version 5: each reviewer's wellness settings for the console's media: images blurred and
    /// greyscale until clicked (on unless turned off), and a revealed image kept greyscale (off
    /// unless turned on).
    static func v5(_ dialect: Dialect) -> [String] {
        let bool = dialect == .sqlite ? "INTEGER" : "BOOLEAN"
        let yes = dialect == .sqlite ? "1" : "TRUE"
        let no = dialect == .sqlite ? "0" : "FALSE"
        return [
            "ALTER TABLE users ADD COLUMN media_blurred \(bool) NOT NULL DEFAULT \(yes)",
            "ALTER TABLE users ADD COLUMN media_keep_greyscale \(bool) NOT NULL DEFAULT \(no)",
        ]
    }

    /// Version 6: a media part's bank match as the worker recorded it (bank, entry, signal type,
    /// distance), so a reviewer sees why the image matched. Not content: a purge keeps it, as it
    /// keeps the part's hashes.
    static func v6(_ dialect: Dialect) -> [String] {
        ["ALTER TABLE media ADD COLUMN match_evidence TEXT"]
    }

    /// Version 7: the hash-bank event log shared by every process on one database, so a bank
    /// change made through one `bulwark` process reaches the others (each polls it).
    static func v7(_ dialect: Dialect) -> [String] {
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        return ["CREATE TABLE bank_events (seq \(int) PRIMARY KEY, event TEXT NOT NULL, at \(int) NOT NULL)"]
    }

    /// Version 8: items are no longer indexed by their container's platform id. Nothing reads
    /// them that way (an entity's items go through `items_container_entity`), and the index cost
    /// every ingest a page write per item at a random place.
    static func v8(_ dialect: Dialect) -> [String] {
        ["DROP INDEX items_container"]
    }

    /// Version 9: referrals to law enforcement of content involving an imminent threat to life
    /// (TCO Article 14(5)): the item, the authority informed and the Member State concerned (NULL:
    /// not identifiable), the grounds, who referred it and when, and the webhook that tells the
    /// platform.
    static func v9(_ dialect: Dialect) -> [String] {
        let id = dialect == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY"
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        return [
            """
            CREATE TABLE referrals (
                id \(id),
                item_id \(int) NOT NULL REFERENCES items (id),
                authority TEXT NOT NULL,
                member_state TEXT,
                grounds TEXT NOT NULL,
                referred_by TEXT NOT NULL,
                referred_at \(int) NOT NULL,
                delivery_id TEXT NOT NULL
            )
            """,
            "CREATE INDEX referrals_item ON referrals (item_id)",
        ]
    }

    /// Version 10: deliveries by status in id order, for `GET /v1/deliveries?status=` pages. The
    /// sender's index (status, next_attempt_at) does not give that order, so a page of the few
    /// dead deliveries among millions would sort them all.
    static func v10(_ dialect: Dialect) -> [String] {
        ["CREATE INDEX deliveries_status_id ON deliveries (status, id)"]
    }

    /// Version 11: where a decision applies, for a geo-block or a visibility restriction that
    /// names EU/EEA countries ("AT,DE"; NULL: everywhere), which its webhook and its statement of
    /// reasons (`territorial_scope`) carry.
    static func v11(_ dialect: Dialect) -> [String] {
        ["ALTER TABLE decisions ADD COLUMN countries TEXT"]
    }

    /// Version 12: snapshots of the shared bank set (`BankSet.snapshot`'s bytes, in parts), so a
    /// process starting reads the newest one and replays only the bank-log events after it,
    /// instead of the whole log (a million entries: about 25 s and 1 GiB). A snapshot's parts are
    /// written in one transaction (SQLite: one a transaction since 2026-12-04, part 0 last; see
    /// ``ModerationStore/saveBankSnapshot(sequence:partBytes:now:replacing:making:)``).
    static func v12(_ dialect: Dialect) -> [String] {
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        let blob = dialect == .sqlite ? "BLOB" : "BYTEA"
        return [
            """
            CREATE TABLE bank_snapshots (
                seq \(int) NOT NULL,
                part \(int) NOT NULL,
                parts \(int) NOT NULL,
                bytes \(blob) NOT NULL,
                at \(int) NOT NULL,
                PRIMARY KEY (seq, part)
            )
            """
        ]
    }

    /// Version 13: a case's content key (``ScannedItem/contentKey``: the item's normalised text,
    /// hashed), so that the open copies of a text a reviewer decides are found by one index
    /// lookup and decided with it, and counted from the index alone (the status is in it). Only
    /// cases opened by ingest carry one; the index holds only those. And decisions by case.
    static func v13(_ dialect: Dialect) -> [String] {
        [
            "ALTER TABLE cases ADD COLUMN content_key TEXT",
            "CREATE INDEX cases_content_key ON cases (content_key, status) WHERE content_key IS NOT NULL",
            // A case's decisions (its page, the latest decision on a text's copies): read by case,
            // which without this index read the whole table.
            "CREATE INDEX decisions_case ON decisions (case_id)",
        ]
    }

    /// Version 14: a mark, the setting `content_keys_backfill` = `pending`, on a database that
    /// has cases without a content key (those opened before version 13 had none). A key is the
    /// hash of the item's normalised text, which SQL cannot make, so the first `serve` process
    /// after the upgrade gives the keys in the background while it serves
    /// (``BulwarkService/giveOlderCasesContentKeys(logger:page:)``) and marks the setting done; their
    /// removals then reach later copies, and their open copies are decided together.
    static func v14(_ dialect: Dialect) -> [String] {
        [
            """
            INSERT INTO settings (key, value) SELECT 'content_keys_backfill', 'pending'
            WHERE EXISTS (SELECT 1 FROM cases WHERE content_key IS NULL)
            """
        ]
    }

    /// Version 15 (SQLite): the bank log's head, the last event readers see. A long append is
    /// written in parts, a transaction each, past the head, and its last part moves the head:
    /// readers see a change whole or not at all, and the one writer is never held for long
    /// (``SQLiteStore/appendBankEvents(after:now:making:)``). `written_at`: when an append past the
    /// head last wrote a part. PostgreSQL appends in one transaction, which holds up no ingest.
    static func v15(_ dialect: Dialect) -> [String] {
        guard dialect == .sqlite else { return [] }
        return [
            "CREATE TABLE bank_log_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, written_at INTEGER NOT NULL)",
            "INSERT INTO bank_log_head (id, seq, written_at) SELECT 1, COALESCE(MAX(seq), 0), 0 FROM bank_events",
        ]
    }

    /// Version 16 (SQLite): the process that last wrote to the bank log's head (`writer`: the
    /// machine's boot, the pid namespace and the pid; NULL: not known). An append that finds
    /// parts past the head written by a process of this machine and namespace that no longer
    /// exists deletes them at once, instead of waiting a minute for them to be taken for
    /// abandoned (``SQLiteStore/appendBankEvents(after:now:making:)``).
    static func v16(_ dialect: Dialect) -> [String] {
        guard dialect == .sqlite else { return [] }
        return ["ALTER TABLE bank_log_head ADD COLUMN writer TEXT"]
    }

    /// Version 17 (SQLite): the process that stored each part of a bank snapshot (`writer`, as
    /// in version 16). A snapshot left half written by a process of this machine that no longer
    /// exists is deleted by the next process that stores one at once, instead of after
    /// ``BankSnapshotRecord/abandonedAfterSeconds``.
    static func v17(_ dialect: Dialect) -> [String] {
        guard dialect == .sqlite else { return [] }
        return ["ALTER TABLE bank_snapshots ADD COLUMN writer TEXT"]
    }

    /// Version 18: decisions by time. The transparency report counts the decisions of a period
    /// (by action, category, language, source, time to first decision and the accuracy of
    /// automated detection); without this index each of its queries read every case or every
    /// decision ever made, so a week's report cost as much as the whole history's.
    static func v18(_ dialect: Dialect) -> [String] {
        ["CREATE INDEX decisions_created ON decisions (created_at)"]
    }

    /// Version 19: which decisions came first in their case, marked when they are written
    /// (``SQLiteStore/recordDecision(_:caseID:reviewer:decision:now:)``): `first_of_case`, the
    /// case's first decision of any kind, and `first_ruling`, its first decision other than an
    /// escalation. The transparency report's time to a first decision and its accuracy of
    /// automated detection read them by time through their own indexes, instead of looking up,
    /// for each of the period's decisions, the first of its case (the index of first rulings was
    /// dropped in version 22, when the report came to read them with every decision). The
    /// decisions made before are marked by ``firstDecisionMarks``.
    static func v19(_ dialect: Dialect) -> [String] {
        let bool = dialect == .sqlite ? "INTEGER" : "BOOLEAN"
        let no = dialect == .sqlite ? "0" : "FALSE"
        return [
            "ALTER TABLE decisions ADD COLUMN first_of_case \(bool) NOT NULL DEFAULT \(no)",
            "ALTER TABLE decisions ADD COLUMN first_ruling \(bool) NOT NULL DEFAULT \(no)",
            firstDecisionMarks,
            "CREATE INDEX decisions_first_of_case ON decisions (created_at) WHERE first_of_case",
            "CREATE INDEX decisions_first_ruling ON decisions (created_at) WHERE first_ruling",
        ]
    }

    /// Version 20: items by the time they were received. The transparency report counts the
    /// items received in its period and those the engine flagged; without this index it read
    /// every item ever received, which on a platform outnumber its decisions many times over.
    /// SQLite: a B-tree with the engine's decision, which answers both counts alone (the API's
    /// ingest rate about 6% lower with it, medians of seven runs). PostgreSQL: a BRIN index, the
    /// range of times of each run of 128 pages, since items are written in about the order they
    /// are received: a B-tree there cost ingest 9% of its rate, BRIN nothing measurable.
    static func v20(_ dialect: Dialect) -> [String] {
        switch dialect {
        case .sqlite: ["CREATE INDEX items_received ON items (received_at, decision)"]
        case .postgres: ["CREATE INDEX items_received ON items USING brin (received_at) WITH (autosummarize = on)"]
        }
    }

    /// Version 21 (SQLite): the index of the queue holds every column the queue's page chooses
    /// its cases by (status, source, language, category, base priority and time), in an order
    /// that gives the queue's counts by status without a sort. The page's cases are chosen from
    /// the index alone and only they are read whole (``SQLiteStore/casesSQL(conditions:)``), and
    /// the counts read nothing else: with 200,000 open cases, a page of 200 through the API from
    /// 414 to 51-56 ms, the console's queue page from 698 to 104-123 ms. It replaces the index of
    /// (status, base priority), which nothing read in that order. PostgreSQL keeps that one: with
    /// this index its counts were read from the index alone only on a vacuumed table (190 ms
    /// against 44-50 ms with a million cases, 200,000 open), and on a table just written its page
    /// filtered by language took 106 ms against 50 ms.
    static func v21(_ dialect: Dialect) -> [String] {
        guard dialect == .sqlite else { return [] }
        return [
            "DROP INDEX cases_queue",
            "CREATE INDEX cases_queue ON cases (status, source, language, category, base_priority, created_at)",
        ]
    }

    /// Version 22: the transparency report reads the period's decisions once, through their
    /// index by time (version 18), for its counts by action and its accuracy of automated
    /// detection alike (``TransparencyQueries``). The index of first rulings by time, which only
    /// the second of those two queries read, is dropped; the decisions are still marked
    /// (`first_ruling`), and the report reads that mark.
    static func v22(_ dialect: Dialect) -> [String] {
        ["DROP INDEX decisions_first_ruling"]
    }

    /// Version 23: the PDQ hashes of an animation's later frames that show another picture
    /// (`FramePDQ.text`: `frame:quality:hex`, space-separated; NULL for a still image or one
    /// frame), matched by the media job and by retro-hunts beside the first frame's `pdq`. A
    /// video's frames (since a later change, with no new version: the column is text) add
    /// `:second`, the time each was taken at.
    static func v23(_ dialect: Dialect) -> [String] {
        ["ALTER TABLE media ADD COLUMN frames TEXT"]
    }

    /// Version 24: when a job ended (done, or failed for good), so that a done job is deleted by
    /// when it ended, not when it was last queued; NULL while it is queued or running, and for
    /// jobs that ended before this version.
    static func v24(_ dialect: Dialect) -> [String] {
        ["ALTER TABLE jobs ADD COLUMN ended_at \(dialect == .sqlite ? "INTEGER" : "BIGINT")"]
    }

    /// Version 25: a still image that its orientation metadata turned, the PDQ hash of its pixels
    /// as stored (`StoredPixelsPDQ.text`: `orientation:quality:hex`), which hashers that apply
    /// no orientation give; matched by the media job and by retro-hunts beside `pdq`, the hash
    /// of the picture as shown. NULL for every other part, and for parts hashed before it.
    static func v25(_ dialect: Dialect) -> [String] {
        ["ALTER TABLE media ADD COLUMN stored_pdq TEXT"]
    }

    /// Version 26: a database with media parts hashed before version 25 is marked
    /// (`stored_pixels_backfill`: `pending:` and the highest media id then), so that `serve`
    /// queues the photos among them that an orientation tag turns to be hashed again, their
    /// stored pixels' hash with them (`BulwarkService.hashTurnedPhotosAgain`).
    static func v26(_ dialect: Dialect) -> [String] {
        [
            """
            INSERT INTO settings (key, value) SELECT 'stored_pixels_backfill', 'pending:' || (SELECT MAX(id) FROM media)
            WHERE EXISTS (SELECT 1 FROM media WHERE status = 'hashed' AND pdq IS NOT NULL)
            """
        ]
    }

    /// Marks each case's first decision, and its first other than an escalation, among the
    /// decisions written (the first: the lowest id, the order they were written in), in one pass
    /// that writes each of those rows once: PostgreSQL rewrote a million of them in 16 s this way,
    /// against 56 s for one pass per mark.
    static let firstDecisionMarks = """
            UPDATE decisions AS d SET first_of_case = d.id = m.first, first_ruling = COALESCE(d.id = m.ruling, FALSE)
            FROM (
                SELECT case_id, MIN(id) AS first, MIN(id) FILTER (WHERE action <> 'escalate') AS ruling
                FROM decisions GROUP BY case_id
            ) AS m
            WHERE d.case_id = m.case_id AND (d.id = m.first OR d.id = m.ruling)
            """
}
