package io.berth.registry.metadata;

import io.berth.oci.Digest;

/** A push would have moved an immutable tag to another manifest; nothing of the push was stored. */
public final class TagImmutableException extends RuntimeException {
    private final String tag;
    private final Digest current;

    public TagImmutableException(String tag, Digest current) {
        super("tag " + tag + " points to " + current, null, false, false);
        this.tag = tag;
        this.current = current;
    }

    public String tag() {
        return tag;
    }

    /** The manifest the tag points to, and keeps pointing to. */
    public Digest current() {
        return current;
    }
}
