import HAModel
