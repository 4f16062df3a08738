# download tests
