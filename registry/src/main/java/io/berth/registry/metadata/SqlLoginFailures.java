package io.berth.registry.metadata;

import static io.berth.registry.metadata.SqlMetadataStore.prepare;
import static io.berth.registry.metadata.SqlMetadataStore.update;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Failed logins in the {@code login_failures} table: a handful of rows per source (at most the caller's limit), read
 * by primary key on each login. On PostgreSQL a failure locks its source for its transaction, so that failures sent
 * to two nodes at once cannot both take the last place in the set; SQLite has one writer already.
 */
final class SqlLoginFailures implements LoginFailures {
    /** The first key of the two-key advisory locks on sources ("bfai"), apart from the one-key locks used elsewhere. */
    private static final int LOCK_CLASS = 0x62666169;

    private final SqlMetadataStore store;
    private final Dialect dialect;

    SqlLoginFailures(SqlMetadataStore store, Dialect dialect) {
        this.store = store;
        this.dialect = dialect;
    }

    @Override
    public Optional<Tally> tally(long source, long since) {
        return store.read(c -> {
            try (PreparedStatement ps = prepare(c, "SELECT COUNT(*), MAX(failed_at) FROM login_failures "
                    + "WHERE source = ?", source); ResultSet rs = ps.executeQuery()) {
                rs.next();
                int count = rs.getInt(1);
                long last = rs.getLong(2);
                return count == 0 || last < since ? Optional.empty() : Optional.of(new Tally(count, last));
            }
        });
    }

    @Override
    public Tally add(long source, long credential, long now, long since, int limit) {
        return store.write(c -> {
            if (dialect == Dialect.POSTGRESQL) {
                try (PreparedStatement ps = prepare(c, "SELECT pg_advisory_xact_lock(?, ?)", LOCK_CLASS,
                        (int) (source ^ (source >>> 32)))) {
                    ps.execute();
                }
            }
            Set<Long> counted = new HashSet<>();
            long last = Long.MIN_VALUE;
            try (PreparedStatement ps = prepare(c, "SELECT credential, failed_at FROM login_failures WHERE source = ?",
                    source); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    counted.add(rs.getLong(1));
                    last = Math.max(last, rs.getLong(2));
                }
            }
            if (!counted.isEmpty() && last < since) {
                update(c, "DELETE FROM login_failures WHERE source = ?", source);
                counted.clear();
            }
            if (!counted.contains(credential) && counted.size() < limit) {
                update(c, "INSERT INTO login_failures (source, credential, failed_at) VALUES (?, ?, ?) "
                        + "ON CONFLICT (source, credential) DO NOTHING", source, credential, now);
                counted.add(credential);
                last = now;
            }
            return new Tally(counted.size(), last);
        });
    }

    @Override
    public int forget(long before) {
        return store.write(c -> update(c, "DELETE FROM login_failures WHERE source IN (SELECT source FROM "
                + "login_failures GROUP BY source HAVING MAX(failed_at) < ?)", before));
    }
}
