"""The CIFAR-10 classifier of PyTorch's "Training a classifier" tutorial, with the source lecture's
update_lr through param_groups (shared/seeds/003) and its torch.max(outputs.data, 1) accuracy.
Small random images stand in for CIFAR-10; the test runs this file under PyTorch and under
minicnn with only the import lines changed."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


def update_lr(optimizer, lr):
    for param_group in optimizer.param_groups:
        param_group['lr'] = lr


def build():
    return Net()


def run(init, images, labels, epochs=2, batch_size=8):
    net = Net()
    net.load_state_dict({k: torch.from_numpy(v) for k, v in init.items()})
    trainset = TensorDataset(torch.from_numpy(images), torch.from_numpy(labels))
    trainloader = DataLoader(trainset, batch_size=batch_size, shuffle=False, num_workers=2)
    criterion = nn.CrossEntropyLoss()
    learning_rate = 0.01
    optimizer = optim.SGD(net.parameters(), lr=learning_rate, momentum=0.9)
    losses = []
    for epoch in range(epochs):
        running_loss = 0.0
        for i, data in enumerate(trainloader, 0):
            inputs, labels_b = data
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, labels_b)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
            losses.append(loss.item())
        learning_rate /= 3
        update_lr(optimizer, learning_rate)
    correct = 0
    total = 0
    with torch.no_grad():
        for data in trainloader:
            images_b, labels_b = data
            outputs = net(images_b)
            _, predicted = torch.max(outputs.data, 1)
            total += labels_b.size(0)
            correct += (predicted == labels_b).sum().item()
    return losses, correct / total
