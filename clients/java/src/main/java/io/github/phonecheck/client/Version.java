package io.github.phonecheck.client;

/** The package version: the service's own (Cargo.toml), written by clients/generate.sh. */
public final class Version {
  /** Sent in the user agent of every channel {@link PhoneCheckChannels} builds. */
  public static final String VERSION = "0.1.0";

  private Version() {}
}
