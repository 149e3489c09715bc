package io.berth.client;

import io.berth.oci.Descriptor;

/** Told how far each blob transfer has come; called often, from transfer threads, so it must be quick. */
@FunctionalInterface
public interface ProgressListener {
    ProgressListener NONE = (blob, done) -> {
    };

    /** {@code done} bytes of {@code blob} have been transferred (it may go back after a resumed transfer). */
    void transferred(Descriptor blob, long done);

    /** The blob was already at the destination, or mounted there, so nothing was sent. */
    default void skipped(Descriptor blob) {
    }
}
