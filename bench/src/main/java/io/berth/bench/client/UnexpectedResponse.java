package io.berth.bench.client;

/** The registry answered with a status or content the protocol does not allow at this step. */
public final class UnexpectedResponse extends Exception {
    public UnexpectedResponse(String message) {
        super(message);
    }
}
