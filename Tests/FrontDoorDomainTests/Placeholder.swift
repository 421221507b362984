import Testing

@testable import FrontDoorDomain
