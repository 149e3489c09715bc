package io.berth.server.http;

import static io.berth.server.http.Access.ADMIN;
import static io.berth.server.http.Access.AUTHENTICATED;
import static io.berth.server.http.Access.BROWSE;
import static io.berth.server.http.Access.CATALOG;
import static io.berth.server.http.Access.DELETE;
import static io.berth.server.http.Access.PUBLIC;
import static io.berth.server.http.Access.PULL;
import static io.berth.server.http.Access.PUSH;

import io.berth.registry.ErrorCode;

/**
 * Every HTTP route Berth answers, in one table: the methods, the path, what the caller needs, and the handler (with,
 * for the hottest reads, an answer from memory tried first on the thread that read the request). Where two paths
 * could match, the one declared first wins: uploads before blobs.
 */
final class Routes {
    private Routes() {
    }

    static RouteTable table(ListingRoutes listings, ManifestRoutes manifests, BlobRoutes blobs, UploadRoutes uploads,
                            TokenEndpoint tokens, GcAdmin gc, LifecycleAdmin lifecycle, EventsAdmin events,
                            ManagementRoutes management, UiRoutes ui, HealthRoutes health) {
        return RouteTable.builder()
                // the OCI distribution API
                .add("GET HEAD", "/v2/", AUTHENTICATED, listings::base)
                .add("GET HEAD", "/v2", AUTHENTICATED, listings::base)
                .add("GET", "/v2/_catalog", CATALOG, listings::catalog)
                .add("GET", "/v2/{name}/tags/list", PULL, listings::tags, listings::tagsFromCache)
                .add("GET HEAD", "/v2/{name}/manifests/{reference}", PULL, manifests::get, manifests::fromCache)
                .add("PUT", "/v2/{name}/manifests/{reference}", PUSH, manifests::put)
                .add("DELETE", "/v2/{name}/manifests/{reference}", DELETE, manifests::delete)
                .add("POST", "/v2/{name}/blobs/uploads/", PUSH, uploads::start)
                .add("POST", "/v2/{name}/blobs/uploads", PUSH, uploads::start)
                .add("GET", "/v2/{name}/blobs/uploads/{id}", PUSH, uploads::status)
                .add("PATCH", "/v2/{name}/blobs/uploads/{id}", PUSH, uploads::append)
                .add("PUT", "/v2/{name}/blobs/uploads/{id}", PUSH, uploads::finish)
                .add("DELETE", "/v2/{name}/blobs/uploads/{id}", PUSH, uploads::cancel)
                .add("GET HEAD", "/v2/{name}/blobs/{digest}", PULL, blobs::get)
                .add("DELETE", "/v2/{name}/blobs/{digest}", DELETE, blobs::delete)
                .add("GET", "/v2/{name}/referrers/{digest}", PULL, listings::referrers, listings::referrersFromCache)
                // Docker token authentication: the endpoint checks the credentials it is sent
                .add("GET POST", "/token", PUBLIC, tokens == null ? Routes::noTokens : tokens::answer)
                // the public keys that verify the tokens, where JWT verifiers look for them
                .add("GET", "/.well-known/jwks.json", PUBLIC, tokens == null ? Routes::noTokens : tokens::publicKeys)
                // for load balancers, orchestrators and Prometheus: /metrics checks who asks as configured
                .add("GET HEAD", "/livez", PUBLIC, health::live)
                .add("GET HEAD", "/readyz", PUBLIC, health::ready)
                .add("GET", "/metrics", PUBLIC, health::metrics)
                // the admin API
                .add("POST", "/admin/gc", ADMIN, gc::collect)
                .add("GET", "/admin/lifecycle", ADMIN, lifecycle::list)
                .add("PUT", "/admin/lifecycle", ADMIN, lifecycle::set)
                .add("DELETE", "/admin/lifecycle", ADMIN, lifecycle::delete)
                .add("GET", "/admin/lifecycle/preview", ADMIN, lifecycle::preview)
                .add("POST", "/admin/lifecycle/apply", ADMIN, lifecycle::apply)
                .add("GET", "/admin/events", ADMIN, events::feed)
                .add("GET", "/admin/notifications", ADMIN, events::status)
                .add("POST", "/admin/notifications/{endpoint}/replay", ADMIN, events::replay)
                // the management API: a repository's own routes follow its name after /-/
                .add("GET", "/api/v1/openapi.json", PUBLIC, management::openApi)
                .add("GET", "/api/v1/repositories", BROWSE, management::repositories)
                .add("GET", "/api/v1/usage", BROWSE, management::usage)
                .add("GET", "/api/v1/repositories/{name}/-/images", PULL, management::images)
                .add("GET", "/api/v1/repositories/{name}/-/images/{digest}", PULL, management::image)
                .add("DELETE", "/api/v1/repositories/{name}/-/images/{digest}", DELETE, management::deleteImage)
                .add("GET", "/api/v1/repositories/{name}/-/tags", PULL, management::tags)
                .add("DELETE", "/api/v1/repositories/{name}/-/tags/{tag}", DELETE, management::deleteTag)
                .add("GET", "/api/v1/repositories/{name}", PULL, management::repository)
                .add("DELETE", "/api/v1/repositories/{name}", DELETE, management::deleteRepository)
                // the web UI: pages on the same permissions, its visitors known by a session cookie
                .add("GET", "/ui", BROWSE, ui::root)
                .add("GET", "/ui/", BROWSE, ui::repositories)
                .add("GET", "/ui/usage", BROWSE, ui::usage)
                .add("GET", "/ui/login", BROWSE, ui::loginPage)
                .add("POST", "/ui/login", BROWSE, ui::login)
                .add("POST", "/ui/logout", BROWSE, ui::logout)
                .add("GET", "/ui/static/{file}", PUBLIC, ui::asset)
                .add("GET", "/ui/r/{name}/-/images/{digest}/delete", DELETE, ui::confirmDeleteImage)
                .add("POST", "/ui/r/{name}/-/images/{digest}/delete", DELETE, ui::deleteImage)
                .add("GET", "/ui/r/{name}/-/images/{digest}", PULL, ui::image)
                .add("GET", "/ui/r/{name}/-/tags/{tag}/delete", DELETE, ui::confirmDeleteTag)
                .add("POST", "/ui/r/{name}/-/tags/{tag}/delete", DELETE, ui::deleteTag)
                .add("GET", "/ui/r/{name}/-/delete", DELETE, ui::confirmDeleteRepository)
                .add("POST", "/ui/r/{name}/-/delete", DELETE, ui::deleteRepository)
                .add("GET", "/ui/r/{name}", PULL, ui::repository)
                .build();
    }

    private static void noTokens(Exchange exchange) {
        throw new HttpError(404, ErrorCode.NAME_UNKNOWN, "no token endpoint: authentication is off", (String) null);
    }
}
