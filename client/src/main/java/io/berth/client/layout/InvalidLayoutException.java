package io.berth.client.layout;

import java.io.IOException;

/** The path is not a readable OCI image layout, or the layout does not hold what was asked of it. */
public class InvalidLayoutException extends IOException {
    public InvalidLayoutException(String message) {
        super(message);
    }
}
