package io.berth.registry.inventory;

import io.berth.oci.Digest;
import io.berth.registry.Page;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What the registry holds, as its users browse it: repositories with their counts, sizes and times, their images and
 * artifacts, and their tags. Read only; every listing is a page, and its {@link Page#last()} is the cursor of the
 * next.
 */
public interface Inventory {
    Page<RepositoryInfo> repositories(RepositoryQuery query);

    Optional<RepositoryInfo> repository(String name);

    /** Images and referrers of the repository; index children are not listed (they are their index's platforms). */
    Page<ImageInfo> images(String repository, ImageQuery query);

    /** Any manifest of the repository: an image, an index's child or a referrer. */
    Optional<ImageInfo> image(String repository, Digest digest);

    /** The manifests of the repository whose subject is {@code subject}, oldest first. */
    List<ImageInfo> referrers(String repository, Digest subject);

    /**
     * A number that changes, in the same transaction, with every write that changes what {@link #images} answers for
     * the repository: equal numbers, equal pages. Empty when the repository does not exist.
     */
    OptionalLong generation(String repository);

    /** The repository's tags in name order, after {@code after} (null: from the first). */
    Page<TagInfo> tags(String repository, String after, int limit);

    /** The names of the repositories that start with {@code prefix} (every one for ""), in name order. */
    List<String> repositoryNames(String prefix);

    /** What the repositories store together: blobs they share count once. Unknown names count nothing. */
    Usage usage(List<String> repositories);

    /**
     * What every repository under {@code namespace} stores, as {@link #usage} of all their names; read from what the
     * writes keep per namespace, so its cost does not grow with the links of the namespace.
     *
     * @param namespace a prefix that ends with {@code /}, such as {@code team/} or {@code team/app/}; or {@code ""},
     *     the whole registry
     */
    Usage namespaceUsage(String namespace);

    RegistryUsage registryUsage();
}
