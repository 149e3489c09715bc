package io.berth.registry.lifecycle;

/** A lifecycle policy that does not validate; the message names the rule (by its rulePriority) and the field. */
public final class InvalidPolicyException extends IllegalArgumentException {
    public InvalidPolicyException(String message) {
        super(message);
    }
}
