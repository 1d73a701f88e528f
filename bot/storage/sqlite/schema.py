"""The SQLite schema: its migrations, applied in order at open, and the connection's settings."""

from __future__ import annotations

import sqlite3

from bot.storage.errors import StorageError
from bot.storage.sqlite import transactions

WAL_SIZE_LIMIT = 32 * 1024 * 1024  # bytes the log file is cut back to once it has been checkpointed
# PRAGMA synchronous per STUDYBOT_DURABILITY. In WAL mode NORMAL syncs at checkpoints only: a commit
# survives the process being killed (it is in the OS's cache) but the last ones may be lost in a power
# cut; FULL syncs the log at every commit, so an acknowledged answer survives a power cut too.
SYNCHRONOUS = {"normal": "NORMAL", "full": "FULL"}

MIGRATIONS: list[str] = [
    # 1: the first schema
    """
    CREATE TABLE communities (
        id INTEGER PRIMARY KEY,
        platform TEXT NOT NULL,
        platform_id TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        locale TEXT NOT NULL,
        timezone TEXT NOT NULL,
        UNIQUE (platform, platform_id)
    );
    CREATE TABLE channels (
        id INTEGER PRIMARY KEY,
        community_id INTEGER NOT NULL REFERENCES communities(id),
        platform_id TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        UNIQUE (community_id, platform_id)
    );
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        platform TEXT NOT NULL,
        platform_id TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        UNIQUE (platform, platform_id)
    );
    CREATE TABLE schedules (
        channel_id INTEGER PRIMARY KEY REFERENCES channels(id),
        at TEXT NOT NULL,
        timezone TEXT NOT NULL,
        weekdays TEXT NOT NULL,
        exam TEXT,
        service TEXT,
        reveal_minutes INTEGER NOT NULL,
        enabled INTEGER NOT NULL DEFAULT 1,
        created_by INTEGER REFERENCES users(id),
        disabled_reason TEXT
    );
    CREATE TABLE posts (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        community_id INTEGER NOT NULL REFERENCES communities(id),
        channel_id INTEGER REFERENCES channels(id),
        owner_id INTEGER REFERENCES users(id),
        question_id TEXT NOT NULL,
        local_date TEXT,
        posted_at REAL NOT NULL,
        reveal_at REAL,
        status TEXT NOT NULL,
        message_ref TEXT,
        error TEXT
    );
    -- The rule "one daily post per channel per local day" lives here, so that it holds across
    -- restarts and across several bot processes sharing the database.
    CREATE UNIQUE INDEX posts_one_daily_per_day ON posts (channel_id, local_date) WHERE kind = 'daily';
    CREATE INDEX posts_by_community_day ON posts (community_id, kind, local_date, status);
    CREATE INDEX posts_by_channel_question ON posts (channel_id, question_id);
    CREATE TABLE answers (
        id INTEGER PRIMARY KEY,
        post_id INTEGER NOT NULL REFERENCES posts(id),
        user_id INTEGER NOT NULL REFERENCES users(id),
        kind TEXT NOT NULL,
        community_id INTEGER NOT NULL,
        question_id TEXT NOT NULL,
        choices TEXT NOT NULL,
        correct INTEGER NOT NULL,
        points INTEGER NOT NULL DEFAULT 0,
        answered_at REAL NOT NULL,
        local_date TEXT,
        channel_id INTEGER,
        month TEXT,  -- the leaderboard periods the answer counts in (community time zone)
        week TEXT,
        UNIQUE (post_id, user_id)
    );
    CREATE INDEX answers_by_user ON answers (user_id, community_id, answered_at);
    CREATE TABLE streaks (
        community_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        current INTEGER NOT NULL,
        best INTEGER NOT NULL,
        last_day TEXT,
        PRIMARY KEY (community_id, user_id)
    ) WITHOUT ROWID;
    -- Running totals per period, so a leaderboard reads one row per active user whatever the
    -- number of stored answers. channel_id 0 holds the community-wide totals. They are derived
    -- from answers (the source of truth) just after the answers are acknowledged, and always
    -- before a leaderboard is read; score_mark is the last answer id folded in, committed
    -- together with the totals, so a crash can neither lose nor double count an answer.
    -- No ranking index: sorting a period's rows at query time costs a few ms even for 10,000 users,
    -- while keeping such an index sorted would cost every answer.
    CREATE TABLE scores (
        community_id INTEGER NOT NULL,
        channel_id INTEGER NOT NULL,
        period TEXT NOT NULL,
        user_id INTEGER NOT NULL,
        points INTEGER NOT NULL,
        correct INTEGER NOT NULL,
        answered INTEGER NOT NULL,
        first_at REAL NOT NULL,
        PRIMARY KEY (community_id, channel_id, period, user_id)
    ) WITHOUT ROWID;
    CREATE TABLE score_mark (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        answer_id INTEGER NOT NULL
    );
    INSERT INTO score_mark (id, answer_id) VALUES (1, 0);
    """,
    # 2: a closed post is revealed only once its message edit landed. Until then (revealed_at and
    # reveal_error both NULL) the reveal is pending and retried, also after a restart; after the last
    # try, reveal_error says why it failed. Posts closed before this schema are taken as revealed.
    """
    ALTER TABLE posts ADD COLUMN revealed_at REAL;
    ALTER TABLE posts ADD COLUMN reveal_error TEXT;
    UPDATE posts SET revealed_at = COALESCE(reveal_at, posted_at) WHERE status = 'closed';
    CREATE INDEX posts_unrevealed ON posts (status) WHERE status = 'closed' AND revealed_at IS NULL;
    """,
    # 3: a post's life cycle that any process can finish. A claimed daily post holds a lease
    # (claimed_at, renewed by the claiming process while it sends: Settings.lease_seconds); a lease that runs out (the process
    # died, or the send failed and waits for its retry) is taken over by whichever process finds it,
    # which first asks the platform whether the message got there. Rows are never deleted, so post ids
    # are never reused. reveal_claimed_at is the same lease for the reveal edit. `question` is the
    # question as it was posted: later edits of the content neither rescore nor contradict it.
    """
    ALTER TABLE posts ADD COLUMN claimed_at REAL;
    ALTER TABLE posts ADD COLUMN claim_token TEXT;
    ALTER TABLE posts ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE posts ADD COLUMN reveal_claimed_at REAL;
    ALTER TABLE posts ADD COLUMN question TEXT;
    UPDATE posts SET claimed_at = posted_at WHERE status = 'claimed';
    CREATE INDEX posts_claimed ON posts (claimed_at) WHERE status = 'claimed';
    CREATE INDEX posts_due ON posts (reveal_at) WHERE status = 'open' AND kind = 'daily';
    """,
    # 4: Slack installs through OAuth (adapters/slack/oauth.py): one row per workspace (or, for an
    # org-wide install, per enterprise with team_id ''), holding its bot token, and the OAuth states
    # handed out by /slack/install, each good for one callback before it expires.
    """
    CREATE TABLE slack_installations (
        client_id TEXT NOT NULL,
        enterprise_id TEXT NOT NULL DEFAULT '',
        team_id TEXT NOT NULL DEFAULT '',
        is_enterprise_install INTEGER NOT NULL DEFAULT 0,
        data TEXT NOT NULL,
        installed_at REAL NOT NULL,
        PRIMARY KEY (client_id, enterprise_id, team_id)
    ) WITHOUT ROWID;
    CREATE INDEX slack_installations_by_team ON slack_installations (team_id);
    CREATE TABLE slack_oauth_states (
        state TEXT PRIMARY KEY,
        expires_at REAL NOT NULL
    ) WITHOUT ROWID;
    """,
    # 5: spaced repetition (bot/memory.py). A learner's first answer to each post is a review of that
    # question: review_cards holds the FSRS card per learner, community and question as the library
    # serialises it (data), with the columns the due queue and readiness query; review_logs holds every
    # review in the shape fsrs.Optimizer reads (card_id, rating, review_datetime, review_duration), keyed
    # by the answer it came from. desired_retention is the community's FSRS target (an admin setting).
    """
    ALTER TABLE communities ADD COLUMN desired_retention REAL NOT NULL DEFAULT 0.9;
    CREATE TABLE review_cards (
        user_id INTEGER NOT NULL,
        community_id INTEGER NOT NULL,
        question_id TEXT NOT NULL,
        card_id INTEGER NOT NULL,
        state INTEGER NOT NULL,
        due REAL NOT NULL,
        stability REAL,
        difficulty REAL,
        last_review REAL,
        reps INTEGER NOT NULL DEFAULT 1,
        data TEXT NOT NULL,
        PRIMARY KEY (user_id, community_id, question_id)
    ) WITHOUT ROWID;
    -- Covering: a learner's due queue is read from the index alone (twice as fast for 1,000 due cards);
    -- every review rewrites the entry anyway, as due changes.
    CREATE INDEX review_cards_due ON review_cards (user_id, community_id, due, question_id, state, stability, last_review);
    CREATE TABLE review_logs (
        answer_id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL,
        community_id INTEGER NOT NULL,
        question_id TEXT NOT NULL,
        card_id INTEGER NOT NULL,
        rating INTEGER NOT NULL,
        review_datetime REAL NOT NULL,
        review_duration INTEGER
    );
    CREATE INDEX review_logs_by_user ON review_logs (user_id, community_id, review_datetime);
    """,
    # 6: learners' opt-in daily reminders (bot/reminders.py), one per learner and community. next_at is
    # when it fires next (whole seconds, UTC), found by the sweep through the partial index; a sweep
    # claims a reminder by moving next_at on only if it still holds the value it read, so of several
    # processes exactly one sends it. last_sent_at keeps "one a local day" across time-zone changes.
    """
    CREATE TABLE reminders (
        user_id INTEGER NOT NULL REFERENCES users(id),
        community_id INTEGER NOT NULL REFERENCES communities(id),
        at TEXT NOT NULL,
        timezone TEXT,
        enabled INTEGER NOT NULL DEFAULT 1,
        next_at INTEGER NOT NULL,
        last_sent_at REAL,
        disabled_reason TEXT,
        PRIMARY KEY (user_id, community_id)
    ) WITHOUT ROWID;
    CREATE INDEX reminders_due ON reminders (next_at) WHERE enabled = 1;
    """,
    # 7: content packs per community (bot/packs.py): a row is an admin's switch; without one, `core` is
    # on and every other pack off. Answers keep their question ids, so switching a pack off loses nothing.
    """
    CREATE TABLE community_packs (
        community_id INTEGER NOT NULL REFERENCES communities(id),
        pack TEXT NOT NULL,
        enabled INTEGER NOT NULL,
        changed_by INTEGER REFERENCES users(id),
        changed_at REAL NOT NULL,
        PRIMARY KEY (community_id, pack)
    ) WITHOUT ROWID;
    """,
    # 8: charts and the weekly recap (bot/recaps.py). recap_channels: the channels that opted in.
    # recaps: one row per channel and ISO week, claimed before the recap is sent (the primary key is the
    # rule "one recap per channel per week", across restarts and processes). answers_by_channel_week
    # reads a channel's week of answers without scanning every answer.
    """
    CREATE TABLE recap_channels (
        channel_id INTEGER PRIMARY KEY REFERENCES channels(id),
        enabled INTEGER NOT NULL DEFAULT 1,
        created_by INTEGER REFERENCES users(id),
        changed_at REAL NOT NULL
    );
    CREATE TABLE recaps (
        channel_id INTEGER NOT NULL REFERENCES channels(id),
        week TEXT NOT NULL,
        status TEXT NOT NULL,
        claimed_at REAL NOT NULL,
        claim_token TEXT NOT NULL,
        message_ref TEXT,
        error TEXT,
        PRIMARY KEY (channel_id, week)
    ) WITHOUT ROWID;
    CREATE INDEX answers_by_channel_week ON answers (channel_id, week) WHERE kind = 'daily';
    """,
    # 9: reviews are applied by a fold from the answers (reviews.py), no longer in the answer's batch:
    # review_mark is the last answer id whose review is in the cards and logs. Every answer stored
    # before this schema was reviewed in its batch.
    """
    CREATE TABLE review_mark (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        answer_id INTEGER NOT NULL
    );
    INSERT INTO review_mark (id, answer_id) SELECT 1, COALESCE(MAX(id), 0) FROM answers;
    """,
]


def setup(conn: sqlite3.Connection, synchronous: str) -> None:
    conn.row_factory = sqlite3.Row
    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if mode.lower() not in ("wal", "memory"):
        raise StorageError(f"cannot switch the database to WAL mode (got {mode})")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA wal_autocheckpoint=0")  # LogCheckpointer (checkpoint.py) copies the log instead
    conn.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
    conn.execute("PRAGMA cache_size=-65536")  # 64 MiB of page cache: leaderboards and streaks stay in memory
    with transactions.Tx(conn):
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StorageError(
                f"the database schema is version {version}, newer than this studybot knows "
                f"({len(MIGRATIONS)}); upgrade studybot"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={number}")


def statements(script: str) -> list[str]:
    # executescript() would commit our transaction; split instead (our migrations have no ';' in strings).
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
