package io.berth.server.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Collects one logger's events at INFO (or a given level) and above while open (tests log only warnings otherwise). */
public final class LogCapture implements AutoCloseable {
    private final Logger logger;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Level previous;
    private final boolean previouslyAdditive;

    public LogCapture(String loggerName) {
        this(loggerName, Level.INFO);
    }

    public LogCapture(String loggerName, Level level) {
        logger = (Logger) LoggerFactory.getLogger(loggerName);
        appender.start();
        logger.addAppender(appender);
        previous = logger.getLevel();
        previouslyAdditive = logger.isAdditive();
        logger.setLevel(level);
        logger.setAdditive(false); // collected here, not printed with the test output
    }

    /** The events so far, as {@code LEVEL logger: message}. */
    public List<String> lines() {
        return events().stream().map(event -> event.getLevel() + " " + event.getLoggerName() + ": "
                + event.getFormattedMessage()).toList();
    }

    /** The messages of the events so far. */
    public List<String> messages() {
        return events().stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    private List<ILoggingEvent> events() {
        synchronized (appender) { // the lock under which the appender adds events from the server's threads
            return List.copyOf(appender.list);
        }
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        logger.setLevel(previous);
        logger.setAdditive(previouslyAdditive);
    }
}
