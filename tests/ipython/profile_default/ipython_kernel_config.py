# Kernels started by the test run (nbval) do not forward TensorFlow's C++ start-up log lines
# (timestamped, so never reproducible) into cell outputs.
c = get_config()  # noqa: F821
c.IPKernelApp.capture_fd_output = False
