package io.berth.registry.events;

/**
 * Who made a change: a user or robot account through the API (or an anonymous client, where anonymous pushes are
 * allowed), or Berth itself (lifecycle expiry, garbage collection). The server binds the caller to {@link #CURRENT}
 * for each request, and the lifecycle and the collector bind their own, so the metadata store records who made each
 * change without every write method taking a parameter for it.
 *
 * @param name      the user or robot name; for the system, what acted ({@code lifecycle}, {@code gc})
 * @param source    where the change came from: the client's address, or what started the system's run
 *                  ({@code schedule}, {@code cli}, an administrator's address)
 * @param requestId the request that made the change; null for the system's runs
 */
public record Actor(Kind kind, String name, String source, String requestId) {
    public static final ScopedValue<Actor> CURRENT = ScopedValue.newInstance();
    /** Who acts when nothing was bound: Berth itself, from a command run on the host. */
    public static final Actor UNKNOWN = new Actor(Kind.SYSTEM, "berth", "cli", null);

    public enum Kind {
        USER, ROBOT, ANONYMOUS, SYSTEM;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static Kind of(String wireName) {
            return valueOf(wireName.toUpperCase(java.util.Locale.ROOT));
        }
    }

    /** The actor bound to the running code, else {@link #UNKNOWN}. */
    public static Actor current() {
        return CURRENT.orElse(UNKNOWN);
    }

    public static Actor system(String name, String source) {
        return new Actor(Kind.SYSTEM, name, source, null);
    }
}
