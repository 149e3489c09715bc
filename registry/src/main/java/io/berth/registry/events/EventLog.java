package io.berth.registry.events;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The outbox: every change the metadata store commits, in commit order, with a cursor per notification endpoint.
 * Events are written only by the store's write transactions; this reads them and moves the cursors.
 */
public interface EventLog {

    /** Events after position {@code after}, in order, at most {@code limit}. */
    List<Event> after(long after, int limit);

    /** The position of the last event; 0 when there is none. */
    long latest();

    /** The position just before the first event recorded at or after {@code time}: a cursor that replays from it. */
    long positionBefore(Instant time);

    /** Tells {@code listener} of every transaction's events once committed. */
    void addListener(EventListener listener);

    /** Creates the endpoint's cursor at the latest event, unless it has one: a new endpoint gets what comes next. */
    void register(String endpoint);

    Optional<EndpointCursor> cursor(String endpoint);

    List<EndpointCursor> cursors();

    /**
     * Takes or renews the right to deliver to the endpoint until {@code until}, unless another server holds it.
     *
     * @return the cursor's position when this server holds the lease; empty when another does
     */
    OptionalLong lease(String endpoint, String owner, Instant until, Instant now);

    /**
     * Moves the cursor from {@code from} to {@code to} after a delivery, renewing the lease, unless the cursor moved
     * meanwhile (a replay) or the lease went to another server.
     *
     * @param delivered when the last delivery succeeded; null when the events were only passed over
     * @return whether the cursor moved
     */
    boolean advance(String endpoint, String owner, long from, long to, Instant leaseUntil, Instant delivered);

    /**
     * Records a failed attempt and renews the lease, unless the cursor moved from {@code position} meanwhile (a replay)
     * or the lease went to another server; then false.
     */
    boolean failed(String endpoint, String owner, long position, String error, Instant at, Instant leaseUntil);

    /** Sets the cursor, so that delivery goes on after {@code position}: a replay. False for an unknown endpoint. */
    boolean rewind(String endpoint, long position);

    /** When the first event after {@code position} was recorded; empty when there is none. */
    Optional<Instant> firstAfter(long position);

    /**
     * The position every endpoint delivered to since {@code leasedSince} has reached (some server held its lease
     * since then): what pruning may go up to. An endpoint no server delivers to any more holds nothing back.
     */
    long oldestPosition(Instant leasedSince);

    /** Deletes events recorded before {@code before} up to position {@code upTo}; returns how many. */
    int prune(Instant before, long upTo);
}
