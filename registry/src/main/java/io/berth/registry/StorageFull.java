package io.berth.registry;

import java.io.IOException;
import java.sql.SQLException;

/**
 * Whether a failure is storage running out of room: the filesystem or a quota under the blobs or SQLite (ENOSPC,
 * EDQUOT), or PostgreSQL's {@code disk_full}. That is the server's failure whatever the request was, and it lasts
 * until an operator frees space, so it is answered and logged as such rather than as a fault of the request.
 */
public final class StorageFull {
    /** The JDK has no errno: a failed write's message is the C library's text for it. */
    private static final String[] FILESYSTEM_FULL = {"No space left on device", "Disk quota exceeded"};

    private StorageFull() {
    }

    public static boolean causes(Throwable failure) {
        int depth = 0;
        for (Throwable t = failure; t != null && depth < 32; t = t.getCause(), depth++) {
            String message = t.getMessage();
            if (t instanceof IOException && message != null) {
                for (String full : FILESYSTEM_FULL) {
                    if (message.contains(full)) {
                        return true;
                    }
                }
            }
            if (t instanceof SQLException sql && ("53100".equals(sql.getSQLState())
                    || (message != null && message.contains("SQLITE_FULL")))) {
                return true;
            }
        }
        return false;
    }
}
