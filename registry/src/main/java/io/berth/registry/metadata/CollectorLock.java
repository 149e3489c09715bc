package io.berth.registry.metadata;

/** Held by the one garbage collection running on a database; closing it lets the next one start. */
public interface CollectorLock extends AutoCloseable {
    @Override
    void close();
}
