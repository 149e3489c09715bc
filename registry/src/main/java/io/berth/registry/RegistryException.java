package io.berth.registry;

/** A request the registry refuses, with the spec's error code and a detail safe to show the client. */
public final class RegistryException extends RuntimeException {
    private final ErrorCode code;

    public RegistryException(ErrorCode code, String detail) {
        super(detail, null, false, false);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    public String detail() {
        return getMessage();
    }
}
