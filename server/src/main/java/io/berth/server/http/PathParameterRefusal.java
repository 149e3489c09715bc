package io.berth.server.http;

import org.eclipse.jetty.http.BadMessageException;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;

/**
 * Refuses a request whose path holds {@code ;} path parameters, before any handler sees it. Jetty drops them when it
 * decodes the path, so {@code /v2/app;x=1/manifests/a;b} would act on tag {@code a} of {@code app}: a proxy in front
 * that allows or denies by path would judge one resource while the registry acts on another. No registry path has
 * parameters (names, tags, digests and upload ids cannot hold a {@code ;}), so the whole path must be exactly what
 * the registry routes. Refused like the ambiguous URIs Jetty itself refuses: 400, and {@code NAME_INVALID} in the
 * error body ({@link JsonErrorHandler}).
 */
public final class PathParameterRefusal implements HttpConfiguration.Customizer {
    @Override
    public Request customize(Request request, HttpFields.Mutable responseHeaders) {
        String path = request.getHttpURI().getPath();
        if (path != null && path.indexOf(';') >= 0) {
            throw new BadMessageException("Ambiguous URI path parameter: a registry path has no ';' parameters");
        }
        return request;
    }
}
