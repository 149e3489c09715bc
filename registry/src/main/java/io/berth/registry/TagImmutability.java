package io.berth.registry;

import java.util.Optional;

/**
 * Which tags may be created but never moved to another manifest: pushing the same manifest to such a tag again is
 * fine, pushing a different one is refused. Deleting the tag stays allowed (see {@code docs/immutability.md}).
 */
@FunctionalInterface
public interface TagImmutability {
    /** Every tag may move. */
    TagImmutability NONE = (repository, tag) -> Optional.empty();

    /**
     * The rule that keeps {@code tag} in {@code repository} from moving, described for the client that is refused;
     * empty when the tag may move.
     */
    Optional<String> rule(String repository, String tag);
}
