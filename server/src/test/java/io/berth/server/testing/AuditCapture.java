package io.berth.server.testing;

import java.util.List;

/**
 * Collects the audit log's lines while open. Tests switch the audit log off (logback-test.xml); a capture switches
 * it on for its lifetime.
 */
public final class AuditCapture implements AutoCloseable {
    private final LogCapture log = new LogCapture("berth.audit");

    /** The lines so far, each one JSON object. */
    public List<String> lines() {
        return log.messages();
    }

    @Override
    public void close() {
        log.close();
    }
}
