package io.berth.registry.blob;

import java.io.IOException;

/**
 * Blob storage cannot be reached, or refuses for now: the network to an object store fails, or the store answers
 * with a server error or asks to slow down. The server's failure, not the request's, and one expected to pass, so it
 * is answered as a temporary unavailability that clients retry.
 */
public class StorageUnavailableException extends IOException {
    public StorageUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Whether {@code failure} or one of its causes is storage being unavailable. */
    public static boolean causes(Throwable failure) {
        int depth = 0;
        for (Throwable t = failure; t != null && depth < 32; t = t.getCause(), depth++) {
            if (t instanceof StorageUnavailableException) {
                return true;
            }
        }
        return false;
    }
}
