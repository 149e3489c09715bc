package io.berth.server.http;

import io.berth.registry.ErrorCode;
import io.berth.registry.gc.GcReport;
import io.berth.server.auth.Scope;
import io.berth.server.events.Notifier;
import io.berth.server.gc.CollectionRunner;
import io.berth.server.gc.GcSummary;
import io.berth.server.lifecycle.Lifecycle;
import java.util.Optional;
import java.util.Set;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The admin API under {@code /admin/}: operations on the registry as a whole (garbage collection, lifecycle
 * policies, the event outbox and its deliveries), each needing the {@code admin} action on every repository ({@link Gate#administersRegistry}).
 * Answers are JSON; errors use the spec's error body.
 */
final class AdminApi {
    private final Gate gate;
    private final LifecycleAdmin lifecycle;
    private final CollectionRunner collections;
    private final EventsAdmin events;

    AdminApi(Gate gate, Lifecycle lifecycle, CollectionRunner collections, Notifier notifier) {
        this.gate = gate;
        this.lifecycle = new LifecycleAdmin(lifecycle, gate.audit());
        this.collections = collections;
        this.events = notifier == null ? null : new EventsAdmin(notifier);
    }

    /** Answers one admin request (blocking). {@code path} starts with {@code /admin/}. */
    void handle(Gate.Caller caller, String path, Request request, Response response, Callback callback)
            throws Exception {
        if (!gate.administersRegistry(caller)) {
            throw gate.refusal(caller, new Gate.Need(new Scope("registry", "admin", Set.of("*")), "*"), request);
        }
        if (LifecycleAdmin.handles(path)) {
            lifecycle.handle(caller, path, request, response, callback);
            return;
        }
        if (events != null && EventsAdmin.handles(path)) {
            events.handle(path, request, response, callback);
            return;
        }
        if (path.equals("/admin/gc")) {
            collectGarbage(caller, request, response, callback);
            return;
        }
        throw new HttpError(404, ErrorCode.NAME_UNKNOWN, "no such admin endpoint");
    }

    /**
     * {@code POST /admin/gc[?dryRun=true]}: runs a garbage collection now and answers its report; a dry run lists
     * what would be deleted and deletes nothing. 429 while another collection runs.
     */
    private void collectGarbage(Gate.Caller caller, Request request, Response response, Callback callback) {
        if (!HttpMethod.POST.is(request.getMethod())) {
            throw new HttpError(405, ErrorCode.UNSUPPORTED, "method not allowed; use POST");
        }
        String dryRun = QueryParameters.of(request).getValue("dryRun");
        if (dryRun != null && !dryRun.equals("true") && !dryRun.equals("false")) {
            throw new HttpError(400, ErrorCode.UNSUPPORTED, "dryRun must be true or false");
        }
        Optional<GcReport> report = collections.run("true".equals(dryRun), caller.subject(), caller.source());
        if (report.isEmpty()) {
            throw new HttpError(429, ErrorCode.TOOMANYREQUESTS, "a garbage collection is running; try again when it ends");
        }
        ApiHandler.sendJson(response, callback, 200, "application/json", GcSummary.json(report.get()));
    }
}
