package io.berth.server.http;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every route Berth answers: a method, a path pattern, what the caller needs, and the handler. The table drives both
 * routing and authorization. The first pattern that matches a path takes the request; when it has no route for the
 * request's method, the answer is 405 with the methods it has.
 */
final class RouteTable {

    /** Answers a request (blocking is fine: it runs on a virtual thread of its own). */
    interface Handler {
        void handle(Exchange exchange) throws Exception;
    }

    /**
     * Answers from memory, on the thread that read the request, when it can (without blocking); false leaves the
     * request to the route's {@link Handler}.
     */
    interface Immediate {
        boolean tryHandle(Exchange exchange);
    }

    /** @param immediate null when every request goes to {@code handler} */
    record Route(String method, PathPattern path, Access access, Handler handler, Immediate immediate) {
    }

    /**
     * What a request's path and method found: the route, or {@code null} when the path has routes but none for the
     * method ({@code methods} are the ones it has); the values of the path's parameters; and what the caller needs:
     * the route's access, or for a method the path lacks, that of the path's first route.
     */
    record Match(Route route, PathPattern path, String[] values, Access access, List<String> methods) {
        Gate.Need need() {
            int name = path.parameters().indexOf(PathPattern.NAME);
            return access.need(name < 0 ? null : values[name]);
        }
    }

    private final Map<String, List<Route>> byPath;
    private final List<PathPattern> paths;

    private RouteTable(Map<String, List<Route>> byPath, List<PathPattern> paths) {
        this.byPath = byPath;
        this.paths = paths;
    }

    static Builder builder() {
        return new Builder();
    }

    /** The routes, in the order they were declared. */
    List<Route> routes() {
        return byPath.values().stream().flatMap(List::stream).toList();
    }

    /** The route for the request; null when no pattern matches the path. */
    Match find(String method, String path) {
        for (PathPattern pattern : paths) {
            String[] values = pattern.match(path);
            if (values == null) {
                continue;
            }
            List<Route> routes = byPath.get(pattern.text());
            for (Route route : routes) {
                if (route.method().equals(method)) {
                    return new Match(route, pattern, values, route.access(), List.of());
                }
            }
            return new Match(null, pattern, values, routes.getFirst().access(),
                    routes.stream().map(Route::method).toList());
        }
        return null;
    }

    static final class Builder {
        private final Map<String, List<Route>> byPath = new LinkedHashMap<>();
        private final List<PathPattern> paths = new ArrayList<>();

        /** Routes {@code methods} (separated by spaces) on {@code path} to {@code handler}. */
        Builder add(String methods, String path, Access access, Handler handler) {
            return add(methods, path, access, handler, null);
        }

        /** Routes {@code methods} on {@code path} to {@code immediate}, then to {@code handler} when it cannot. */
        Builder add(String methods, String path, Access access, Handler handler, Immediate immediate) {
            List<Route> routes = byPath.computeIfAbsent(path, p -> {
                paths.add(PathPattern.of(p));
                return new ArrayList<>();
            });
            PathPattern pattern = routes.isEmpty() ? paths.getLast() : routes.getFirst().path();
            for (String method : methods.split(" ")) {
                if (routes.stream().anyMatch(route -> route.method().equals(method))) {
                    throw new IllegalArgumentException(method + " " + path + " is routed twice");
                }
                routes.add(new Route(method, pattern, access, handler, immediate));
            }
            return this;
        }

        RouteTable build() {
            Map<String, List<Route>> copy = new LinkedHashMap<>();
            byPath.forEach((path, routes) -> copy.put(path, List.copyOf(routes)));
            return new RouteTable(copy, List.copyOf(paths));
        }
    }
}
