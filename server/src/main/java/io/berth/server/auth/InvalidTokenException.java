package io.berth.server.auth;

/** A bearer or refresh token that must not be accepted; the message says why, for the audit log. */
public final class InvalidTokenException extends Exception {
    private final String subject;

    public InvalidTokenException(String reason) {
        this(reason, null);
    }

    /** For a token whose signature checked out, so its subject is known: the audit log names who was refused. */
    public InvalidTokenException(String reason, String subject) {
        super(reason);
        this.subject = subject;
    }

    /** The token's subject when its signature was verified, else null. */
    public String subject() {
        return subject;
    }
}
