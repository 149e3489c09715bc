package io.berth.registry.metadata;

import static io.berth.registry.metadata.SqlMetadataStore.optionalLong;
import static io.berth.registry.metadata.SqlMetadataStore.prepare;
import static io.berth.registry.metadata.SqlMetadataStore.update;

import io.berth.registry.events.EndpointCursor;
import io.berth.registry.events.Event;
import io.berth.registry.events.EventJson;
import io.berth.registry.events.EventListener;
import io.berth.registry.events.EventLog;
import io.berth.registry.events.EventType;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outbox on SQL. Events get their positions in commit order: on SQLite there is one writer; on PostgreSQL each
 * transaction that records events takes a transaction lock just before writing them, at its very end, so positions
 * are handed out in the order the transactions commit, and a reader that has seen position n never later finds a
 * smaller one appear. Only the ends of those transactions are serialized, never the work before.
 */
final class SqlEventLog implements EventLog {
    private static final Logger LOG = LoggerFactory.getLogger(SqlEventLog.class);
    private static final long ORDER_LOCK = 0x62657276L; // "berv"
    private static final String KNOWN_TYPES = Arrays.stream(EventType.values())
            .map(type -> "'" + type.wireName() + "'").collect(Collectors.joining(", ", "(", ")"));
    private static final String CURSOR_COLUMNS = "endpoint, position, owner, lease_until, last_success_at, "
            + "last_error, last_error_at, failures";

    private final SqlMetadataStore store;
    private final Dialect dialect;
    private final List<EventListener> listeners = new CopyOnWriteArrayList<>();

    SqlEventLog(SqlMetadataStore store, Dialect dialect) {
        this.store = store;
        this.dialect = dialect;
    }

    /** Writes a transaction's events, last thing before it commits, and gives each its position. */
    void append(Connection c, List<Event> events) throws SQLException {
        if (events.isEmpty()) {
            return;
        }
        if (dialect == Dialect.POSTGRESQL) {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(" + ORDER_LOCK + ")")) {
                ps.execute();
            }
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO events (type, repository, created_at, data) "
                + "VALUES (?, ?, ?, ?) RETURNING id")) {
            for (int i = 0; i < events.size(); i++) {
                Event event = events.get(i);
                ps.setString(1, event.type().wireName());
                ps.setString(2, event.repository());
                ps.setLong(3, event.time().toEpochMilli());
                ps.setString(4, EventJson.text(event));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    events.set(i, event.withId(rs.getLong(1)));
                }
            }
        }
    }

    /** Tells the listeners of a committed transaction's events. */
    void committed(List<Event> events) {
        if (events.isEmpty()) {
            return;
        }
        List<Event> committed = List.copyOf(events);
        for (EventListener listener : listeners) {
            try {
                listener.committed(committed);
            } catch (RuntimeException e) {
                LOG.warn("an event listener failed; the change is committed", e);
            }
        }
    }

    @Override
    public void addListener(EventListener listener) {
        listeners.add(listener);
    }

    @Override
    public List<Event> after(long after, int limit) {
        return store.read(c -> {
            List<Event> result = new ArrayList<>();
            // Types a newer Berth may record on the same database are not for this one: left out before the limit.
            try (PreparedStatement ps = prepare(c, "SELECT id, type, created_at, data FROM events WHERE id > ? "
                    + "AND type IN " + KNOWN_TYPES + " ORDER BY id LIMIT ?", after, limit);
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    result.add(EventJson.parse(rs.getLong(1), EventType.of(rs.getString(2)).orElseThrow(),
                            Instant.ofEpochMilli(rs.getLong(3)), rs.getString(4)));
                }
            }
            return result;
        });
    }

    @Override
    public long latest() {
        return store.read(c -> optionalLong(c, "SELECT MAX(id) FROM events").orElse(0));
    }

    @Override
    public long positionBefore(Instant time) {
        return store.read(c -> {
            OptionalLong first = optionalLong(c, "SELECT MIN(id) FROM events WHERE created_at >= ?",
                    time.toEpochMilli());
            // MIN of no rows is NULL, which reads as 0
            return first.isPresent() && first.getAsLong() > 0 ? first.getAsLong() - 1
                    : optionalLong(c, "SELECT MAX(id) FROM events").orElse(0);
        });
    }

    @Override
    public void register(String endpoint) {
        store.write(c -> update(c, "INSERT INTO event_cursors (" + CURSOR_COLUMNS + ") SELECT ?, "
                // WHERE: SQLite would read ON CONFLICT as a join's ON without it
                + "COALESCE(MAX(id), 0), NULL, 0, NULL, NULL, NULL, 0 FROM events WHERE 1 = 1 "
                + "ON CONFLICT (endpoint) DO NOTHING", endpoint));
    }

    @Override
    public Optional<EndpointCursor> cursor(String endpoint) {
        return store.read(c -> cursors(c, " WHERE endpoint = ?", endpoint)).stream().findFirst();
    }

    @Override
    public List<EndpointCursor> cursors() {
        return store.read(c -> cursors(c, " ORDER BY endpoint"));
    }

    @Override
    public OptionalLong lease(String endpoint, String owner, Instant until, Instant now) {
        return store.write(c -> {
            if (update(c, "UPDATE event_cursors SET owner = ?, lease_until = ? WHERE endpoint = ? "
                    + "AND (owner = ? OR owner IS NULL OR lease_until < ?)", owner, until.toEpochMilli(), endpoint,
                    owner, now.toEpochMilli()) == 0) {
                return OptionalLong.empty();
            }
            return optionalLong(c, "SELECT position FROM event_cursors WHERE endpoint = ?", endpoint);
        });
    }

    @Override
    public boolean advance(String endpoint, String owner, long from, long to, Instant leaseUntil, Instant delivered) {
        String success = delivered == null ? ""
                : ", last_success_at = " + delivered.toEpochMilli() + ", last_error = NULL, failures = 0";
        return store.write(c -> update(c, "UPDATE event_cursors SET position = ?, lease_until = ?" + success
                        + " WHERE endpoint = ? AND owner = ? AND position = ?", to, leaseUntil.toEpochMilli(),
                endpoint, owner, from) > 0);
    }

    @Override
    public boolean failed(String endpoint, String owner, long position, String error, Instant at,
                          Instant leaseUntil) {
        String bounded = error.length() > 1000 ? error.substring(0, 1000) : error;
        return store.write(c -> update(c, "UPDATE event_cursors SET last_error = ?, last_error_at = ?, "
                        + "failures = failures + 1, lease_until = ? WHERE endpoint = ? AND owner = ? "
                        + "AND position = ?", bounded, at.toEpochMilli(), leaseUntil.toEpochMilli(), endpoint, owner,
                position) > 0);
    }

    @Override
    public boolean rewind(String endpoint, long position) {
        return store.write(c -> update(c, "UPDATE event_cursors SET position = ? WHERE endpoint = ?", position,
                endpoint) > 0);
    }

    @Override
    public Optional<Instant> firstAfter(long position) {
        return store.read(c -> {
            OptionalLong at = optionalLong(c, "SELECT created_at FROM events WHERE id > ? ORDER BY id LIMIT 1",
                    position);
            return at.isPresent() ? Optional.of(Instant.ofEpochMilli(at.getAsLong())) : Optional.empty();
        });
    }

    @Override
    public long oldestPosition(Instant leasedSince) {
        return store.read(c -> {
            long latest = optionalLong(c, "SELECT MAX(id) FROM events").orElse(0);
            try (PreparedStatement ps = prepare(c, "SELECT COUNT(*), MIN(position) FROM event_cursors "
                    + "WHERE lease_until >= ?", leasedSince.toEpochMilli()); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1) == 0 ? latest : Math.min(latest, rs.getLong(2));
            }
        });
    }

    @Override
    public int prune(Instant before, long upTo) {
        return store.write(c -> update(c, "DELETE FROM events WHERE created_at < ? AND id <= ?",
                before.toEpochMilli(), upTo));
    }

    private static List<EndpointCursor> cursors(Connection c, String where, Object... args) throws SQLException {
        List<EndpointCursor> result = new ArrayList<>();
        try (PreparedStatement ps = prepare(c, "SELECT " + CURSOR_COLUMNS + " FROM event_cursors" + where, args);
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                result.add(new EndpointCursor(rs.getString(1), rs.getLong(2), rs.getString(3),
                        Instant.ofEpochMilli(rs.getLong(4)), instant(rs, 5), rs.getString(6), instant(rs, 7),
                        rs.getInt(8)));
            }
        }
        return result;
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        long value = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(value);
    }
}
