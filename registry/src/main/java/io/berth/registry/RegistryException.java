package io.berth.registry;

/** A request the registry refuses, with the spec's error code and a detail safe to show the client. */
public final class RegistryException extends RuntimeException {
    private final ErrorCode code;
    private final String message;

    public RegistryException(ErrorCode code, String detail) {
        this(code, code.message(), detail);
    }

    /**
     * With a message of its own instead of the code's usual one, for refusals whose reason the user must see: clients
     * print the code and the message of an error, not its detail.
     */
    public RegistryException(ErrorCode code, String message, String detail) {
        super(detail, null, false, false);
        this.code = code;
        this.message = message;
    }

    public ErrorCode code() {
        return code;
    }

    /** The error body's {@code message}. */
    public String message() {
        return message;
    }

    public String detail() {
        return getMessage();
    }
}
