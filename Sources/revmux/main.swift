print("revmux")
