package io.berth.registry.events;

import java.time.Instant;

/**
 * How far one notification endpoint has read the outbox, shared by every server on the database.
 *
 * @param position      the last event handed over (delivered, or passed over by the endpoint's filters)
 * @param owner         the server delivering to it while {@code leaseUntil} lasts; null before the first
 * @param lastSuccess   null before the first delivery
 * @param lastError     the last failed attempt's error, null once a delivery succeeds again
 * @param failures      failed attempts since the last success
 */
public record EndpointCursor(String endpoint, long position, String owner, Instant leaseUntil, Instant lastSuccess,
                             String lastError, Instant lastErrorAt, int failures) {
}
