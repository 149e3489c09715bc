package io.berth.server.http;

import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * One request on its route: the request, where its answer goes, who asks (null on the non-blocking path, which
 * has not looked), and the values of the route's path parameters.
 */
record Exchange(Request request, Response response, Callback callback, Gate.Caller caller, PathPattern path,
                String[] values) {

    /** The value of the path parameter {@code parameter}. */
    String parameter(String parameter) {
        int index = path.parameters().indexOf(parameter);
        if (index < 0) {
            throw new IllegalArgumentException(path + " has no parameter " + parameter);
        }
        return values[index];
    }

    /** The repository the path names. */
    String name() {
        return parameter(PathPattern.NAME);
    }

    String method() {
        return request.getMethod();
    }

    Fields query() {
        return QueryParameters.of(request);
    }
}
