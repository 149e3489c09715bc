package io.berth.registry.metadata;

/** The metadata database failed: a server fault, never the client's. */
public final class MetadataException extends RuntimeException {
    public MetadataException(String message, Throwable cause) {
        super(message, cause);
    }
}
