package io.berth.server.http;

import io.berth.server.auth.Scope;

/** What a route needs of its caller, as a {@link Gate.Need} on the route's repository, if it names one. */
enum Access {
    /** Anyone, and without finding out who first: the token endpoint checks the credentials it is sent itself. */
    PUBLIC(null),
    /** An authenticated caller (anyone, with authentication off): the base endpoint, and paths of no route. */
    AUTHENTICATED(null),
    /** The catalog: any authenticated caller, who sees in it only the repositories it may pull. */
    CATALOG(null),
    /** Anyone, anonymous callers too, who sees in the answer only the repositories it may pull. */
    BROWSE(null),
    PULL("pull"),
    PUSH("push"),
    DELETE("delete"),
    /** The admin action on every repository: operations on the registry as a whole. */
    ADMIN(null);

    private final String action;

    Access(String action) {
        this.action = action;
    }

    /** The need for a request to the repository {@code name} (null for routes that name none). */
    Gate.Need need(String name) {
        return switch (this) {
            case PUBLIC, AUTHENTICATED -> Gate.Need.AUTHENTICATED;
            case CATALOG -> new Gate.Need(Scope.catalog(), "*");
            case BROWSE -> Gate.Need.ANYONE;
            case PULL, PUSH, DELETE -> new Gate.Need(Scope.repository(name, action), action);
            case ADMIN -> Gate.Need.ADMIN;
        };
    }
}
