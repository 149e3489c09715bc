package io.berth.registry.events;

import java.util.List;

/** Told of the events of each write transaction once it is committed and durable, on the writing thread. */
@FunctionalInterface
public interface EventListener {
    /** Must be quick and must not throw: the writer waits for it, and its change is committed already. */
    void committed(List<Event> events);
}
