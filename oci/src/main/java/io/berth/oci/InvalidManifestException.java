package io.berth.oci;

/** Manifest bytes that are not a valid manifest of a media type the registry stores. */
public final class InvalidManifestException extends IllegalArgumentException {
    public InvalidManifestException(String message) {
        super(message);
    }
}
