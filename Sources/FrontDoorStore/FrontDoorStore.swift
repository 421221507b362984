import FrontDoorDomain

/// PostgreSQL storage for frontdoor.
public enum FrontDoorStore {}
