package io.berth.server.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Collects the audit log's lines while open. Tests switch the audit log off (logback-test.xml); a capture switches
 * it on for its lifetime.
 */
public final class AuditCapture implements AutoCloseable {
    private final Logger logger = (Logger) LoggerFactory.getLogger("berth.audit");
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Level previous;
    private final boolean previouslyAdditive;

    public AuditCapture() {
        appender.start();
        logger.addAppender(appender);
        previous = logger.getLevel();
        previouslyAdditive = logger.isAdditive();
        logger.setLevel(Level.INFO);
        logger.setAdditive(false); // collected here, not printed with the test output
    }

    /** The lines so far, each one JSON object. */
    public List<String> lines() {
        synchronized (appender) { // the lock under which the appender adds lines from the server's threads
            return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        logger.setLevel(previous);
        logger.setAdditive(previouslyAdditive);
    }
}
