package io.berth.server.http;

import io.berth.registry.ErrorCode;
import io.berth.server.auth.Scope;
import io.berth.server.lifecycle.Lifecycle;
import java.util.Set;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The admin API under {@code /admin/}: operations on the registry as a whole (garbage collection, lifecycle
 * policies). Every operation needs the {@code admin} action: on every repository ({@link Gate#administers} with
 * null) for registry-wide ones, on the repository for those about one. Answers are JSON; errors use the spec's
 * error body.
 */
final class AdminApi {
    private final Gate gate;
    private final LifecycleAdmin lifecycle;

    AdminApi(Gate gate, Lifecycle lifecycle) {
        this.gate = gate;
        this.lifecycle = new LifecycleAdmin(lifecycle, gate.audit());
    }

    /** Answers one admin request (blocking). {@code path} starts with {@code /admin/}. */
    void handle(Gate.Caller caller, String path, Request request, Response response, Callback callback)
            throws Exception {
        if (LifecycleAdmin.handles(path)) {
            requireAdmin(caller, null, request);
            lifecycle.handle(caller, path, request, response, callback);
            return;
        }
        throw new HttpError(404, ErrorCode.NAME_UNKNOWN, "no such admin endpoint");
    }

    /** Refuses the caller unless it may administer the repository (null: the whole registry). */
    void requireAdmin(Gate.Caller caller, String repository, Request request) {
        if (!gate.administers(caller, repository)) {
            Scope scope = repository == null ? new Scope("registry", "admin", Set.of("*"))
                    : Scope.repository(repository, "admin");
            throw gate.refusal(caller, new Gate.Need(scope, repository == null ? "*" : "admin"), request);
        }
    }
}
