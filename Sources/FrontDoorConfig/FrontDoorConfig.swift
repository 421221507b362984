import FrontDoorDomain

/// Reads `Config/` into domain values.
public enum FrontDoorConfig {}
