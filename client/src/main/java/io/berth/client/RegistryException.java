package io.berth.client;

import java.io.IOException;
import java.util.List;

/**
 * A registry answered with an error. Carries the HTTP status and the registry's error entries; the message is the
 * first entry's code and message, which is what a user needs to read.
 */
public class RegistryException extends IOException {
    private final int status;
    private final List<RegistryError> errors;
    private final String request;

    public RegistryException(String request, int status, List<RegistryError> errors) {
        super(describe(status, errors));
        this.request = request;
        this.status = status;
        this.errors = List.copyOf(errors);
    }

    private static String describe(int status, List<RegistryError> errors) {
        if (errors.isEmpty()) {
            return "registry answered HTTP " + status;
        }
        RegistryError first = errors.getFirst();
        return first.code() + ": " + first.message();
    }

    public int status() {
        return status;
    }

    public List<RegistryError> errors() {
        return errors;
    }

    /** The first error's code ({@code MANIFEST_UNKNOWN}, {@code DENIED}, …); null when the body held none. */
    public String code() {
        return errors.isEmpty() ? null : errors.getFirst().code();
    }

    /** The request that failed, as {@code METHOD url}. */
    public String request() {
        return request;
    }

    public boolean isNotFound() {
        return status == 404;
    }
}
