package io.berth.oci;

/** A digest string that is malformed or names an algorithm the registry does not support. */
public final class InvalidDigestException extends IllegalArgumentException {
    public InvalidDigestException(String message) {
        super(message);
    }
}
