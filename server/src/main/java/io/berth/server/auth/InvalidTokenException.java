package io.berth.server.auth;

/** A bearer or refresh token that must not be accepted; the message says why, for the audit log. */
public final class InvalidTokenException extends Exception {
    public InvalidTokenException(String reason) {
        super(reason);
    }
}
