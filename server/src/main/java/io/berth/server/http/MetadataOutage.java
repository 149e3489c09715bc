package io.berth.server.http;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

/**
 * Tells a metadata database that cannot be reached (down, restarting, or the pool could not get a connection in time)
 * from a genuine fault. The first passes and is answered 503, which clients retry; the second stays a 500 and is
 * logged with its stack trace.
 */
final class MetadataOutage {
    private MetadataOutage() {
    }

    /** Whether {@code failure} or one of its causes says the database could not be reached or is shutting down. */
    static boolean causes(Throwable failure) {
        int depth = 0;
        for (Throwable t = failure; t != null && depth < 32; t = t.getCause(), depth++) {
            if (t instanceof SQLTransientConnectionException) {
                return true; // HikariCP: no connection within the pool's timeout
            }
            if (t instanceof SQLException sql && unreachable(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    /**
     * SQLSTATE class 08 is a connection exception (refused, broken, lost); 57P01, 57P02 and 57P03 are PostgreSQL
     * terminating connections for a shutdown or crash, or refusing them while it starts.
     */
    private static boolean unreachable(String state) {
        return state != null && (state.startsWith("08") || state.equals("57P01") || state.equals("57P02")
                || state.equals("57P03"));
    }
}
